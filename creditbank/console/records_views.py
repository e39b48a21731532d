"""The registrar's and viewer's pages: learners, records, documents, imports."""

from __future__ import annotations

from creditbank.console.blueprint import bp

__all__ = ["bp"]
