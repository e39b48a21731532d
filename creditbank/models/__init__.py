from creditbank.credits.kinds import ACHIEVEMENT_KINDS
from creditbank.models.accounts import ActivationCode, LearnerAccount, LoginThrottle, ShareLink
from creditbank.models.achievements import Achievement, AchievementVersion, InstitutionKey
from creditbank.models.agreements import AgreementTerm, PublishedAgreement
from creditbank.models.base import Base
from creditbank.models.credentials import Credential, CredentialDocument, CredentialKey, StatusListDocument
from creditbank.models.credits import (
    CatalogueOutcome,
    CreditLine,
    PublishedFramework,
    PublishedRuleSet,
    QualificationAward,
    Redemption,
)
from creditbank.models.exchanges import EXCHANGE_STATES, WalletExchange
from creditbank.models.imports import IMPORT_STATES, SpreadsheetImport
from creditbank.models.institutions import INSTITUTION_TYPES, ApiKey, Institution
from creditbank.models.learners import ConsentGrant, Enrollment, Learner, LearnerPersonalData
from creditbank.models.ledger import APPEND_ONLY_TABLES, LedgerBody, LedgerCheckpoint, LedgerEntry
from creditbank.models.operations import IdempotentRequest, OperationsFinding, SchedulerLease
from creditbank.models.recognition import APPLICATION_STATES, RecognitionApplication, RecognitionEvidence
from creditbank.models.staff import STAFF_ROLES, StaffAccount, StaffSession
from creditbank.models.trust import TrustedIssuer
from creditbank.models.witnessing import LogWitness, WitnessedLog

__all__ = [
    "ACHIEVEMENT_KINDS",
    "APPEND_ONLY_TABLES",
    "APPLICATION_STATES",
    "EXCHANGE_STATES",
    "IMPORT_STATES",
    "INSTITUTION_TYPES",
    "STAFF_ROLES",
    "Achievement",
    "AchievementVersion",
    "ActivationCode",
    "AgreementTerm",
    "ApiKey",
    "Base",
    "CatalogueOutcome",
    "ConsentGrant",
    "Credential",
    "CredentialDocument",
    "CredentialKey",
    "CreditLine",
    "Enrollment",
    "IdempotentRequest",
    "Institution",
    "InstitutionKey",
    "Learner",
    "LearnerAccount",
    "LearnerPersonalData",
    "LedgerBody",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LogWitness",
    "LoginThrottle",
    "OperationsFinding",
    "PublishedAgreement",
    "PublishedFramework",
    "PublishedRuleSet",
    "QualificationAward",
    "RecognitionApplication",
    "RecognitionEvidence",
    "Redemption",
    "SchedulerLease",
    "ShareLink",
    "SpreadsheetImport",
    "StaffAccount",
    "StaffSession",
    "StatusListDocument",
    "TrustedIssuer",
    "WalletExchange",
    "WitnessedLog",
]
