"""Spreadsheet imports in the console: upload, the validation's progress and preview, confirming, letters.

Validating and writing a large file take seconds, longer than a page should wait, so both run in a background
thread of this process on the same bank object; the import's page reloads itself and reads the state the service
keeps (in the table, and for writing also in this process's counter). Nothing of the request is used by the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Response, redirect, render_template, request, url_for

from creditbank import spreadsheets
from creditbank.console import i18n, security
from creditbank.console.blueprint import bp
from creditbank.console.records_views import INSTITUTION_ROLES, login_url
from creditbank.console.security import staff_required
from creditbank.errors import Conflict, InvalidInput
from creditbank.runtime import Bank, current_bank
from creditbank.services import imports
from creditbank.services.staff.members import StaffMember

__all__ = ["bp"]

log = logging.getLogger(__name__)

_IMPORT = "<string(maxlength=32):import_id>"
# A multipart body carries the file plus its boundaries, headers and the CSRF field.
_FORM_OVERHEAD = 64 * 1024
_UPLOAD_LIMIT = spreadsheets.MAX_BYTES + _FORM_OVERHEAD
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT = 20


def _member() -> StaffMember:
    member = security.current_staff()
    assert member is not None  # staff_required ran first
    return member


def _in_background(name: str, work: Callable[[], object]) -> None:
    def run() -> None:
        try:
            work()
        except Exception:  # the page shows the state the service left; the cause goes to the log
            log.exception("background %s failed", name)

    threading.Thread(target=run, name=name, daemon=True).start()


@bp.context_processor
def _recent_imports() -> dict[str, object]:
    """``recent_imports(n)`` for the home page's list; read only when a template asks."""

    def recent(limit: int = 5) -> list[imports.ImportView]:
        member = security.current_staff()
        if member is None or member.institution_id is None:
            return []
        return imports.recent(current_bank(), member.principal(), limit)

    return {"recent_imports": recent}


def _imports_page(status: int = 200, error: str | None = None, **values: object) -> Any:
    recent = imports.recent(current_bank(), _member().principal(), RECENT)
    limit_mb = spreadsheets.MAX_BYTES // (1024 * 1024)
    page = render_template(
        "console/imports.html",
        recent=recent,
        error=error,
        error_values=values,
        limit_mb=limit_mb,
        max_rows=spreadsheets.MAX_ROWS,
        columns=spreadsheets.COLUMNS,
    )
    return page, status


@bp.route("/imports", endpoint="imports")
@staff_required(*INSTITUTION_ROLES)
def imports_page() -> Any:
    return _imports_page()


@bp.before_request
def _bound_uploads() -> Any:
    """An upload's own limit, the reader's, instead of the site's; checked before anything reads the form.

    A body declaring more is refused by its length before a byte of it is read (for a registrar, with the upload
    page; anyone else meets the usual checks first); one without a length stops at the limit as it streams in.
    """
    if request.endpoint != "console.import_upload":
        return None
    request.max_content_length = _UPLOAD_LIMIT
    if request.content_length is not None and request.content_length > _UPLOAD_LIMIT:
        member = security.current_staff()
        if member is not None and member.role == "registrar":
            return _imports_page(413, "imp_too_large", limit=spreadsheets.MAX_BYTES // (1024 * 1024))
    return None


@bp.route("/imports", methods=["POST"], endpoint="import_upload")
@staff_required("registrar")
def import_upload() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _imports_page(400, "imp_no_file")
    data = upload.stream.read(spreadsheets.MAX_BYTES + 1)
    bank = current_bank()
    try:
        started = imports.upload(bank, _member().principal(), upload.filename, data)
    except InvalidInput:
        key = "imp_empty" if not data else "imp_too_large"
        return _imports_page(400 if not data else 413, key, limit=spreadsheets.MAX_BYTES // (1024 * 1024))
    except Conflict:
        return _imports_page(409, "imp_busy")
    _validate_later(bank, started.id)
    return redirect(url_for("console.import_page", import_id=started.id))


def _validate_later(bank: Bank, import_id: str) -> None:
    _in_background(f"validate {import_id}", lambda: imports.validate(bank, import_id))


@bp.route("/imports/template.xlsx")
@staff_required(*INSTITUTION_ROLES)
def import_template_xlsx() -> Response:
    return Response(
        spreadsheets.template_xlsx(),
        mimetype=_XLSX_TYPE,
        headers={"Content-Disposition": "attachment; filename=creditbank-import-template.xlsx"},
    )


@bp.route("/imports/template.csv")
@staff_required(*INSTITUTION_ROLES)
def import_template_csv() -> Response:
    return Response(
        spreadsheets.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=creditbank-import-template.csv"},
    )


@bp.route(f"/imports/{_IMPORT}")
@staff_required(*INSTITUTION_ROLES)
def import_page(import_id: str) -> Any:
    found = imports.view(current_bank(), _member().principal(), import_id)
    written = imports.progress(import_id) if found.state == "writing" else None
    # Just confirmed: the background write may not have claimed the import yet; the page waits for it.
    starting = found.state == "ready" and request.args.get("writing") == "1"
    return render_template(
        "console/import.html",
        found=found,
        written=written,
        starting=starting,
        problems=[(problem, problem.text(i18n.language())) for problem in found.problems],
        notices=[notice.text(i18n.language()) for notice in found.notices],
    )


def _refused(found: imports.ImportView, key: str, status: int) -> Any:
    page = render_template(
        "console/import.html",
        found=found,
        written=None,
        starting=False,
        problems=[(problem, problem.text(i18n.language())) for problem in found.problems],
        notices=[notice.text(i18n.language()) for notice in found.notices],
        refusal=key,
    )
    return page, status


@bp.route(f"/imports/{_IMPORT}/commit", methods=["POST"])
@staff_required("registrar")
def import_commit(import_id: str) -> Any:
    bank, principal = current_bank(), _member().principal()
    found = imports.view(bank, principal, import_id)
    if found.state in ("writing", "written", "unchanged"):
        # A second click, or a reload of the form: the first one is already doing (or has done) the work.
        return redirect(url_for("console.import_page", import_id=import_id))
    if found.state != "ready":
        return _refused(found, "imp_cannot_commit", 409)
    _in_background(f"commit {import_id}", lambda: imports.commit(bank, principal, import_id))
    return redirect(url_for("console.import_page", import_id=import_id, writing=1))


@bp.route(f"/imports/{_IMPORT}/letters.pdf", methods=["POST"])
# Fresh codes replace any unused ones: like a single learner's code, printing them needs a fresh confirmation.
@staff_required("registrar", confirm=True)
def import_letters(import_id: str) -> Any:
    bank, principal = current_bank(), _member().principal()
    try:
        pdf = imports.letters(bank, principal, import_id, login_url())
    except Conflict:
        return _refused(imports.view(bank, principal, import_id), "imp_no_letters", 409)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=activation-letters.pdf", "Cache-Control": "no-store"},
    )


@bp.route(f"/imports/{_IMPORT}/discard", methods=["POST"])
@staff_required("registrar")
def import_discard(import_id: str) -> Any:
    imports.discard(current_bank(), _member().principal(), import_id)
    return redirect(url_for("console.import_page", import_id=import_id))
