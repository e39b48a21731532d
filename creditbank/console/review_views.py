"""The bank's pages: catalogue review, awards, institutions, staff, API keys, frameworks and rule sets."""

from __future__ import annotations

from creditbank.console.blueprint import bp

__all__ = ["bp"]
