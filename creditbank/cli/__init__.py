"""The `creditbank` command: serve, schedule, administer and audit.

Each command group lives in a module of its own that knows only the shared context; this root names them all.
"""

from __future__ import annotations

import click

from creditbank.cli import (
    agreements,
    backup,
    credentials,
    credit_rules,
    credits,
    database,
    imports,
    institutions,
    keys,
    learners,
    ledger,
    recognition,
    running,
    staff,
    trust,
    verify,
    witness,
)
from creditbank.cli.context import ErrorReportingGroup

__all__ = ["main"]


@click.group(cls=ErrorReportingGroup)
def main() -> None:
    """creditbank: lifelong-learning credit bank and learner record ledger."""


for command in (
    running.serve,
    running.scheduler,
    running.demo,
    database.db,
    keys.keys,
    institutions.institutions,
    learners.learners,
    ledger.ledger,
    credentials.credentials,
    verify.verify_command,
    credit_rules.frameworks,
    credit_rules.rules,
    credit_rules.catalogue,
    credits.credits,
    credits.qualifications,
    backup.backup_command,
    backup.restore_command,
    staff.staff,
    imports.imports,
    witness.witness,
    witness.witnesses,
    trust.trust,
    agreements.agreements,
    recognition.recognition,
):
    main.add_command(command)
