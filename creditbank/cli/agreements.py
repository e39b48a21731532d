"""The `creditbank agreements` group."""

from __future__ import annotations

import click


@click.group()
def agreements() -> None:
    """Mutual recognition agreements: publish and list."""
