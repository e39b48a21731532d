"""`creditbank staff`: console accounts (placeholder)."""

from __future__ import annotations

import click


@click.group()
def staff() -> None:
    """Staff accounts for the console: registrars and viewers of an institution, the bank's reviewers and admins."""
