"""Spreadsheet imports (placeholder: the import engine fills this in)."""

from __future__ import annotations
