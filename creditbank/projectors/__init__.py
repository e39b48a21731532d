"""The projections: every entry kind the bank writes, and the projector that derives tables from it.

One table, written out here, is the whole of what a use case's append and ``creditbank ledger replay`` do to the
projections. A kind mapped to ``None`` is recorded in the ledger alone; a kind missing from the table has had no
decision yet, which a test catches. Projectors read models and pure helpers only, never the services.
"""

from __future__ import annotations

from sqlalchemy import Table

from creditbank.models import (
    Achievement,
    AchievementVersion,
    AgreementTerm,
    CatalogueOutcome,
    ConsentGrant,
    Credential,
    CredentialKey,
    CreditLine,
    Enrollment,
    Institution,
    InstitutionKey,
    Learner,
    PublishedAgreement,
    PublishedFramework,
    PublishedRuleSet,
    QualificationAward,
    RecognitionApplication,
    Redemption,
    TrustedIssuer,
)
from creditbank.projectors import (
    agreements,
    consent,
    credentials,
    credits,
    institutions,
    keys,
    learners,
    recognition,
    records,
    rules,
    trust,
)
from creditbank.projectors.applied import Applied, Projector

__all__ = ["PROJECTION_TABLES", "PROJECTORS", "Applied", "Projector"]

PROJECTORS: dict[str, Projector | None] = {
    "institution.registered": institutions.registered,
    "institution.key_added": institutions.key_added,
    "learner.enrolled": learners.enrolled,
    # Commits to an amended identity whose only copy is the sealed personal data; no table reads it.
    "learner.identity_amended": None,
    "learner.erased": learners.erased,
    "consent.granted": consent.granted,
    "consent.withdrawn": consent.withdrawn,
    "achievement.recorded": records.recorded,
    "achievement.corrected": records.corrected,
    "achievement.revoked": records.revoked,
    "framework.published": rules.framework_published,
    "rules.published": rules.rules_published,
    "catalogue.outcome_proposed": rules.outcome_proposed,
    "catalogue.outcome_approved": rules.outcome_approved,
    "catalogue.outcome_rejected": rules.outcome_rejected,
    "credits.converted": credits.converted,
    "credits.redeemed": credits.redeemed,
    "qualification.awarded": credits.awarded,
    "credential.issued": credentials.issued,
    "credential.revoked": credentials.revoked,
    "credential.suspended": credentials.suspended,
    "key.rotated": keys.rotated,
    "key.compromised": keys.compromised,
    "trust.issuer_added": trust.issuer_added,
    "trust.issuer_removed": trust.issuer_removed,
    "agreement.published": agreements.published,
    "recognition.applied": recognition.applied,
    "recognition.evidence_verified": recognition.evidence_verified,
    "recognition.assigned": recognition.assigned,
    "recognition.decided": recognition.decided,
    "recognition.appealed": recognition.appealed,
    "recognition.appeal_decided": recognition.appeal_decided,
    "recognition.withdrawn": recognition.withdrawn,
    "recognition.revoked": recognition.revoked,
}

# Every table the projectors write, children before parents: the order replay clears them in.
PROJECTION_TABLES: list[Table] = [
    RecognitionApplication.__table__,  # type: ignore[list-item]
    AgreementTerm.__table__,  # type: ignore[list-item]
    PublishedAgreement.__table__,  # type: ignore[list-item]
    TrustedIssuer.__table__,  # type: ignore[list-item]
    ConsentGrant.__table__,  # type: ignore[list-item]
    Credential.__table__,  # type: ignore[list-item]
    CredentialKey.__table__,  # type: ignore[list-item]
    QualificationAward.__table__,  # type: ignore[list-item]
    Redemption.__table__,  # type: ignore[list-item]
    CreditLine.__table__,  # type: ignore[list-item]
    CatalogueOutcome.__table__,  # type: ignore[list-item]
    PublishedRuleSet.__table__,  # type: ignore[list-item]
    PublishedFramework.__table__,  # type: ignore[list-item]
    AchievementVersion.__table__,  # type: ignore[list-item]
    Achievement.__table__,  # type: ignore[list-item]
    Enrollment.__table__,  # type: ignore[list-item]
    Learner.__table__,  # type: ignore[list-item]
    InstitutionKey.__table__,  # type: ignore[list-item]
    Institution.__table__,  # type: ignore[list-item]
]
