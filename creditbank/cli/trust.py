"""The `creditbank trust` group."""

from __future__ import annotations

import click


@click.group()
def trust() -> None:
    """The trust list: issuers whose credentials count as evidence for recognition."""
