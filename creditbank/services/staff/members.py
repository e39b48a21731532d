"""A signed-in member of staff as the use cases see them: a role, an institution or the bank, and a pseudonym.

Institution staff act through the same use cases as an API key, as a ``Principal`` whose scopes follow from the role
and whose actor carries the staff pseudonym. Bank staff act as a bank role (``bank:reviewer/staff:…``).
"""

from __future__ import annotations

from dataclasses import dataclass

from creditbank import actors
from creditbank.errors import Forbidden
from creditbank.models.staff import BANK_ROLES
from creditbank.services.records.api_keys import Principal

# What each institution role may do, in the API's scope words, so the console and the API share one rule.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "registrar": frozenset({"records:read", "records:write", "credentials:write"}),
    "viewer": frozenset({"records:read"}),
}


@dataclass(frozen=True)
class StaffMember:
    id: str
    login: str
    role: str
    institution_id: str | None

    @property
    def is_bank(self) -> bool:
        return self.role in BANK_ROLES

    @property
    def actor(self) -> str:
        if self.institution_id is None:
            return actors.bank_actor(self.role, self.id)
        return actors.institution_actor(self.institution_id, self.id)

    def principal(self) -> Principal:
        """The caller identity for institution use cases; bank staff have none."""
        if self.institution_id is None:
            raise Forbidden("bank staff do not act for an institution")
        return Principal(f"staff:{self.id}", self.institution_id, ROLE_SCOPES[self.role], staff=self.id)

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs the {' or '.join(roles)} role")
