"""The `creditbank recognition` group."""

from __future__ import annotations

import click


@click.group()
def recognition() -> None:
    """Recognition by application: apply, list, assign, decide, appeal, withdraw, revoke."""
