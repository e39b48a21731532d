"""Awarding a qualification by redeeming exactly the credits its requirements use."""

from __future__ import annotations

from sqlalchemy.orm import Session

from creditbank import ledger_store, recording
from creditbank.credits.documents import as_number
from creditbank.errors import Conflict, Forbidden, InvalidInput
from creditbank.models import (
    QualificationAward,
)
from creditbank.runtime import Bank
from creditbank.services.credits import credit_rules, statements
from creditbank.services.random_ids import random_id
from creditbank.services.records import idempotency
from creditbank.services.records.api_keys import Principal
from creditbank.services.records.idempotency import RetryKey, WriteResult
from creditbank.services.records.institutions import BANK_ACTOR
from creditbank.services.records.learners import require_enrolled

AWARD_SCOPE = "qualifications:award"


def award(
    bank: Bank,
    principal: Principal | None,
    learner_id: str,
    qualification_id: str,
    retry: RetryKey | None = None,
    *,
    staff_actor: str | None = None,
) -> WriteResult:
    """Award a qualification by redeeming exactly the credits its requirements use; 422 names what is missing.
    ``principal`` None is bank staff: at the CLI, or in the console with ``staff_actor`` (``bank:reviewer/staff:…``)
    as the entries' actor; an institution must be named in the rule set's awarding list."""
    if principal is not None:
        principal.require(AWARD_SCOPE)
        if staff_actor is not None:
            raise Forbidden("an institution awards as its own principal")
    owner = principal.institution_id if principal is not None else BANK_ACTOR
    actor = principal.actor if principal is not None else staff_actor or BANK_ACTOR

    def work(session: Session) -> WriteResult:
        # An award redeems credits, a write: consent only ever opens reads, so the awarding body must hold the
        # learner itself, not just a ``credits`` grant.
        learner = (
            require_enrolled(session, principal, learner_id)
            if principal
            else statements.learner_in_view(session, None, learner_id)
        )
        if learner.status == "erased":
            raise Conflict(f"learner {learner_id} has been erased")
        book = credit_rules.rulebook(session)
        qualification = statements.qualification_named(book, qualification_id)
        active = book.active.get(qualification.framework)
        if active is None:
            raise Conflict(f"no rule set is active for {qualification.framework}, so nothing can be awarded in it")
        rule_set, rules_hash = active
        if principal is not None and principal.institution_id not in rule_set.awarding.get(qualification.id, ()):
            raise Forbidden(
                f"{principal.institution_id} is not authorized to award {qualification.id} under rule set "
                f"{rule_set.version}"
            )
        found = statements.plan_for(session, learner_id, qualification, book)
        if not found.met:
            raise InvalidInput(
                f"{qualification.id} cannot be awarded yet: "
                + "; ".join(f"{key}: {why}" for key, why in found.missing().items()),
                errors=found.missing(),
            )
        award_id = random_id("qua_")
        used = [{"conversion": seq, "credits": as_number(amount)} for seq, amount in found.consumed.items()]
        common = {
            "award": award_id,
            "learner": learner_id,
            "qualification": qualification.id,
            "framework": qualification.framework,
            "rules": rule_set.version,
        }
        redeemed = {**common, "lines": used}
        awarded = {
            **common,
            "rules_hash": rules_hash,
            "credits": as_number(found.total),
            "requirements": [requirement.view() for requirement in found.requirements],
        }
        recording.record(
            session,
            [
                ledger_store.NewEntry("credits.redeemed", actor, redeemed),
                ledger_store.NewEntry("qualification.awarded", actor, awarded),
            ],
        )
        row = session.get(QualificationAward, award_id)
        assert row is not None
        return WriteResult(True, {**statements.award_view(row), "learner": learner_id, "used": used})

    return idempotency.once(bank, owner, retry, work)
