"""Every console route, who may call it and what each caller gets: the table the authorization test walks.

One dict per area of the console, keyed by (endpoint, method). ``test_console_authorization`` lists the console's
endpoints and methods from the application's URL map and fails when one is missing here (or one here is gone), so
a new route cannot go untested.

Paths and form values name the ids they need in braces: ``{learner}``, ``{achievement}``, ``{credential}``,
``{import}`` (an institution's), ``{token}``. The test fills them once with the caller's own institution's ids and
once with another institution's. ``expect`` gives the status per caller; ``other`` overrides it for the other
institution's ids (an id that is not the caller's is not found, never forbidden, so its existence does not leak).
POSTs carry a valid CSRF token and ``data``, which is chosen to stop at the first check after authorization (a
missing field, a state that cannot be confirmed), so the table tests who gets in, not what the page then does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ROLES = ("anonymous", "registrar", "viewer", "reviewer", "admin")


@dataclass(frozen=True)
class Route:
    path: str
    expect: Mapping[str, int]
    other: Mapping[str, int] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)


def _statuses(anonymous: int, registrar: int, viewer: int, reviewer: int, admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, registrar, viewer, reviewer, admin), strict=True))


# Anyone signed in; a stranger is sent to sign in.
SIGNED_IN = _statuses(302, 200, 200, 200, 200)
# An institution's staff read; a stranger is sent to sign in, bank staff are refused.
INSTITUTION_READ = _statuses(302, 200, 200, 403, 403)
NOT_FOUND_FOR_INSTITUTION = {"registrar": 404, "viewer": 404}


def _registrar_post(status: int) -> dict[str, int]:
    """A registrar's form: the viewer and bank staff are refused, a stranger sent to sign in."""
    return _statuses(302, status, 403, 403, 403)


REGISTRAR_ROUTES: dict[tuple[str, str], Route] = {
    # The foundation: signing in and out, set-up, confirmation, home and activity.
    ("console.login", "GET"): Route("/staff/login", _statuses(200, 200, 200, 200, 200)),
    ("console.setup", "GET"): Route("/staff/setup/{token}", _statuses(404, 404, 404, 404, 404)),
    ("console.setup", "POST"): Route("/staff/setup/{token}", _statuses(404, 404, 404, 404, 404)),
    ("console.reauth", "GET"): Route("/staff/reauth", SIGNED_IN),
    ("console.home", "GET"): Route("/staff/", SIGNED_IN),
    ("console.activity_page", "GET"): Route("/staff/activity", SIGNED_IN),
    # Learners and their records.
    ("console.learners", "GET"): Route("/staff/learners?q=nobody", INSTITUTION_READ),
    ("console.learner", "GET"): Route("/staff/learners/{learner}", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION),
    ("console.achievement_correct", "GET"): Route(
        "/staff/achievements/{achievement}/correct", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION
    ),
    ("console.achievement_correct", "POST"): Route(
        "/staff/achievements/{achievement}/correct", _registrar_post(400), {"registrar": 404}
    ),
    ("console.achievement_revoke", "POST"): Route(
        "/staff/achievements/{achievement}/revoke", _registrar_post(400), {"registrar": 404}, {"reason": ""}
    ),
    ("console.learner_issue", "POST"): Route(
        "/staff/learners/{learner}/credentials", _registrar_post(400), {"registrar": 404}, {"kind": "nothing"}
    ),
    ("console.credential_pdf", "GET"): Route(
        "/staff/credentials/{credential}/pdf", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION
    ),
    ("console.credential_json", "GET"): Route(
        "/staff/credentials/{credential}/json", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION
    ),
    ("console.credential_receipt", "GET"): Route(
        "/staff/credentials/{credential}/receipt", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION
    ),
    ("console.learner_activation", "POST"): Route(
        "/staff/learners/{learner}/activation", _registrar_post(200), {"registrar": 404}
    ),
    ("console.learner_activation_letter", "POST"): Route(
        "/staff/learners/{learner}/activation-letter.pdf", _registrar_post(200), {"registrar": 404}
    ),
    # Spreadsheet imports.
    ("console.imports", "GET"): Route("/staff/imports", INSTITUTION_READ),
    ("console.import_template_xlsx", "GET"): Route("/staff/imports/template.xlsx", INSTITUTION_READ),
    ("console.import_template_csv", "GET"): Route("/staff/imports/template.csv", INSTITUTION_READ),
    ("console.import_upload", "POST"): Route("/staff/imports", _registrar_post(400)),
    ("console.import_page", "GET"): Route("/staff/imports/{import}", INSTITUTION_READ, NOT_FOUND_FOR_INSTITUTION),
    # The matrix's import is still validating (no thread runs it): confirming or printing it is refused as such.
    ("console.import_commit", "POST"): Route(
        "/staff/imports/{import}/commit", _registrar_post(409), {"registrar": 404}
    ),
    ("console.import_letters", "POST"): Route(
        "/staff/imports/{import}/letters.pdf", _registrar_post(409), {"registrar": 404}
    ),
    ("console.import_discard", "POST"): Route(
        "/staff/imports/{import}/discard", _registrar_post(302), {"registrar": 404}
    ),
    # Recognition: the institution's applications (bank staff see their queue there), and applying for a learner;
    # without a learner id the registrar's form stops at its first field.
    ("console.recognition_queue", "GET"): Route("/staff/recognition", SIGNED_IN),
    ("console.recognition_apply_form", "GET"): Route("/staff/recognition/apply", _statuses(302, 200, 403, 403, 403)),
    ("console.recognition_apply", "POST"): Route("/staff/recognition/apply", _registrar_post(422)),
    # Last: these change the caller's own sign-in state (a failed confirmation, signing out).
    ("console.login", "POST"): Route("/staff/login", _statuses(400, 400, 400, 400, 400)),
    ("console.reauth", "POST"): Route(
        "/staff/reauth", _statuses(302, 401, 401, 401, 401), data={"password": "wrong", "code": "000000"}
    ),
    ("console.logout", "POST"): Route("/staff/logout", _statuses(302, 302, 302, 302, 302)),
}

# The bank's pages: one bank role each; institution staff are refused, a stranger is sent to sign in.
REVIEWER_ONLY = _statuses(302, 403, 403, 200, 403)
ADMIN_ONLY = _statuses(302, 403, 403, 403, 200)


def _reviewer(status: int) -> dict[str, int]:
    return _statuses(302, 403, 403, status, 403)


def _admin(status: int) -> dict[str, int]:
    return _statuses(302, 403, 403, 403, status)


# Ids that name nothing (the bank's pages take no institution's ids from the table), so an allowed caller stops at
# "not found"; POSTs without their fields stop at the first field check.
_NO_INSTITUTION = "/staff/admin/institutions/no-such-institution"
_NO_STAFF = "/staff/admin/staff/stf-00000000000000000000"
_NO_APPLICATION = "/staff/recognition/rap-00000000000000000000"

BANK_ROUTES: dict[tuple[str, str], Route] = {
    # The reviewer: proposals, the catalogue, awards.
    ("console.review_proposals", "GET"): Route("/staff/review/proposals", REVIEWER_ONLY),
    ("console.review_propose", "POST"): Route("/staff/review/proposals", _reviewer(422)),
    ("console.review_approve", "POST"): Route("/staff/review/proposals/NO-SUCH/approve", _reviewer(404)),
    ("console.review_reject", "POST"): Route(
        "/staff/review/proposals/NO-SUCH/reject", _reviewer(404), data={"reason": "a reason"}
    ),
    ("console.review_catalogue", "GET"): Route("/staff/review/catalogue", REVIEWER_ONLY),
    ("console.review_awards", "GET"): Route("/staff/review/awards", REVIEWER_ONLY),
    ("console.review_award", "POST"): Route("/staff/review/awards", _reviewer(400)),
    # Recognition: one application, its evidence, the decision; the admin's assignment and (confirmed) revocation.
    ("console.recognition_detail", "GET"): Route(_NO_APPLICATION, _statuses(302, 403, 403, 404, 404)),
    ("console.recognition_evidence", "GET"): Route(f"{_NO_APPLICATION}/evidence/1", _statuses(302, 403, 403, 404, 404)),
    ("console.recognition_decide", "POST"): Route(f"{_NO_APPLICATION}/decide", _reviewer(404)),
    ("console.recognition_assign", "POST"): Route(f"{_NO_APPLICATION}/assign", _admin(404), data={"reviewer": "rev"}),
    ("console.recognition_revoke", "POST"): Route(f"{_NO_APPLICATION}/revoke", _admin(404), data={"reason": "wrong"}),
    # The admin: institutions, their staff and keys, bank staff, frameworks and rule sets.
    ("console.admin_institutions", "GET"): Route("/staff/admin/institutions", ADMIN_ONLY),
    ("console.admin_institution_add", "POST"): Route("/staff/admin/institutions", _admin(422)),
    ("console.admin_institution", "GET"): Route(_NO_INSTITUTION, _admin(404)),
    ("console.admin_staff_add", "POST"): Route(f"{_NO_INSTITUTION}/staff", _admin(404)),
    ("console.admin_key_issue", "POST"): Route(f"{_NO_INSTITUTION}/keys", _admin(404)),
    # Confirmed acts: the table's callers have just signed in, which counts as a confirmation.
    ("console.admin_key_revoke", "POST"): Route("/staff/admin/keys/000000000000/revoke", _admin(404)),
    ("console.admin_staff_reset", "POST"): Route(f"{_NO_STAFF}/reset", _admin(404)),
    ("console.admin_staff_disable", "POST"): Route(f"{_NO_STAFF}/disable", _admin(404)),
    ("console.admin_bank_staff", "GET"): Route("/staff/admin/bank-staff", ADMIN_ONLY),
    ("console.admin_bank_staff_add", "POST"): Route("/staff/admin/bank-staff", _admin(422)),
    ("console.admin_frameworks", "GET"): Route("/staff/admin/frameworks", ADMIN_ONLY),
    ("console.admin_publish", "POST"): Route("/staff/admin/frameworks", _admin(400)),
    # The admin's erasure: the id typed twice; without it an allowed caller stops at the first check.
    ("console.admin_erasure", "GET"): Route("/staff/admin/erasure", ADMIN_ONLY),
    ("console.admin_erase", "POST"): Route("/staff/admin/erasure", _admin(400)),
    # Reset letters from the bank, for any learner who has an account. The table's learners (each institution's,
    # named in the form) have none yet, so bank staff get in and are refused the code; institution staff do not
    # get in at all, whoever's learner the form names.
    ("console.bank_reset_letter_form", "GET"): Route("/staff/reset-letter", _statuses(302, 403, 403, 200, 200)),
    ("console.bank_reset_letter", "POST"): Route(
        "/staff/reset-letter.pdf", _statuses(302, 403, 403, 409, 409), data={"learner": "{learner}"}
    ),
}

ALL_ROUTES: dict[tuple[str, str], Route] = {**REGISTRAR_ROUTES, **BANK_ROUTES}

# Rows that change the caller's own sign-in (a failed confirmation, signing out): the test calls them last.
CALLED_LAST = (("console.login", "POST"), ("console.reauth", "POST"), ("console.logout", "POST"))
