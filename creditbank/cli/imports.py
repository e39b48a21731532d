"""`creditbank imports`: spreadsheet imports from the shell (placeholder: the import engine fills this in)."""

from __future__ import annotations

import click


@click.group()
def imports() -> None:
    """Import learners' achievements from a spreadsheet, as the console does."""
