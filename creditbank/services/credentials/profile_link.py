"""The link that adds a certificate to the learner's LinkedIn profile (LinkedIn's documented "Add to Profile" URL).

It carries only what the public QR page already shows — the certificate's name, who awarded it, when, its id and
the public page's address — and nothing about the holder; the learner follows it in their own browser, so the bank
never talks to LinkedIn.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from creditbank.runtime import Bank
from creditbank.services.credentials.credential_pages import local_day
from creditbank.services.credentials.reading import public_summary

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"
# A transcript is a record of many achievements, not a certification one lists on a profile.
_LISTED = ("achievement", "qualification")


def linkedin_url(bank: Bank, credential_id: str) -> str | None:
    """The add-to-profile link of a valid achievement or qualification certificate; None for anything else."""
    summary: dict[str, Any] = public_summary(bank, credential_id)
    if summary["kind"] not in _LISTED or summary["status"] != "valid":
        return None
    issued = local_day(bank, summary["issued_at"])
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": str(summary.get("name") or ""),
        "organizationName": str(summary.get("institution") or summary.get("issuer") or ""),
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": f"{bank.public_url}/v/{credential_id}",
        "certId": credential_id,
    }
    return f"{ADD_TO_PROFILE}?{urlencode(query)}"
