from creditbank.models.base import Base
from creditbank.models.institutions import INSTITUTION_TYPES, ApiKey, Institution
from creditbank.models.ledger import APPEND_ONLY_TABLES, LedgerBody, LedgerCheckpoint, LedgerEntry
from creditbank.models.operations import SchedulerLease

__all__ = [
    "APPEND_ONLY_TABLES",
    "INSTITUTION_TYPES",
    "ApiKey",
    "Base",
    "Institution",
    "LedgerBody",
    "LedgerCheckpoint",
    "LedgerEntry",
    "SchedulerLease",
]
