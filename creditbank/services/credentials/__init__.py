"""Credentials (Open Badges 3.0 / CLR 2.0), one module per job: ``facts`` gathers what a credential states,
``issuing`` signs and records it, ``reading`` serves it back (document, receipt, bundle, PDF, public summary),
``status`` revokes, suspends and publishes status lists (and re-signs them when a key rotates or is compromised),
``verifying`` checks a credential or PDF against the bank's own trust, ``badges`` bakes a certificate into a badge
image. ``credential_keys`` and ``pdf_keys`` hold the signing keys and the PDF chain, ``credential_pages`` what a PDF
shows.

The use cases are listed here too, so a view or a command names ``credentials.issue`` without knowing which job
module holds it.
"""

# The names of a verdict's checks, for the schemas that describe a report.
from certificates.credentials import MEDIA_TYPE as CREDENTIAL_MEDIA_TYPE
from certificates.verify import CHECKS
from creditbank.services.credentials.badges import FORMATS as BADGE_FORMATS
from creditbank.services.credentials.badges import MIMETYPES as BADGE_MIMETYPES
from creditbank.services.credentials.badges import Format as BadgeFormat
from creditbank.services.credentials.badges import badge
from creditbank.services.credentials.download_names import content_disposition
from creditbank.services.credentials.facts import ISSUE_SCOPE, KINDS, LANGUAGE_ORDERS, Request
from creditbank.services.credentials.issuing import issue
from creditbank.services.credentials.profile_link import linkedin_url
from creditbank.services.credentials.reading import (
    bundle,
    document,
    holder_names,
    list_for_learner,
    pdf,
    public_summary,
    receipt,
)
from creditbank.services.credentials.render_budget import spend as spend_render
from creditbank.services.credentials.status import (
    BANK_ACTOR,
    LIST_SIZE,
    PURPOSES,
    change_status,
    compromise_key,
    publish_list,
    republish_stale,
    rotate_key,
    status_list,
)
from creditbank.services.credentials.verifying import trust, verify

__all__ = [
    "BADGE_FORMATS",
    "BADGE_MIMETYPES",
    "BANK_ACTOR",
    "CHECKS",
    "CREDENTIAL_MEDIA_TYPE",
    "ISSUE_SCOPE",
    "KINDS",
    "LANGUAGE_ORDERS",
    "LIST_SIZE",
    "PURPOSES",
    "BadgeFormat",
    "Request",
    "badge",
    "bundle",
    "change_status",
    "compromise_key",
    "content_disposition",
    "document",
    "holder_names",
    "issue",
    "linkedin_url",
    "list_for_learner",
    "pdf",
    "public_summary",
    "publish_list",
    "receipt",
    "republish_stale",
    "rotate_key",
    "spend_render",
    "status_list",
    "trust",
    "verify",
]
