"""The bank admin's erasure of a learner's personal data: the console's door to what `creditbank learners erase` does.

Erasure cannot be undone, so it asks three times: the admin types the learner id, types it again as the
confirmation, and gives password and code if they were not given in the last few minutes. The entry
(``learner.erased``) is written as the admin (``bank:admin/staff:<pseudonym>``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import render_template, request

from creditbank.console.blueprint import bp
from creditbank.console.security import current_staff, staff_required
from creditbank.errors import Conflict, NotFound
from creditbank.runtime import current_bank
from creditbank.services.records import learners

__all__ = ["bp"]

_LEARNER_ID = re.compile(r"lrn_[0-9a-z]{20}")


def _page(status: int = 200, **shown: Any) -> Any:
    return render_template("console/admin_erasure.html", **shown), status


@bp.route("/admin/erasure", methods=["GET"])
@staff_required("admin")
def admin_erasure() -> Any:
    return _page()


@bp.route("/admin/erasure", methods=["POST"])
@staff_required("admin", confirm=True)
def admin_erase() -> Any:
    learner_id = request.form.get("learner", "").strip()
    typed_again = request.form.get("again", "").strip()
    if not _LEARNER_ID.fullmatch(learner_id):
        return _page(400, learner=learner_id[:40], error="era_err_id")
    if typed_again != learner_id:
        return _page(400, learner=learner_id, error="era_err_again")
    member = current_staff()
    assert member is not None  # staff_required ran first
    try:
        seq = learners.erase(current_bank(), learner_id, actor=member.actor)
    except NotFound:
        return _page(404, learner=learner_id, error="era_err_unknown")
    except Conflict:
        return _page(409, learner=learner_id, error="era_err_already")
    return _page(erased=learner_id, seq=seq)
