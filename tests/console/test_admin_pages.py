"""The bank admin's pages through the test client: onboarding institutions, their staff and API keys, bank staff,
and frameworks and rule sets published by upload."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from creditbank.models import Institution, LedgerBody, LedgerEntry, StaffSession
from creditbank.runtime import Bank
from creditbank.services.records import api_keys
from creditbank.services.staff import accounts
from tests.console.staff_helpers import SignedIn, csrf, set_up, staff_member
from tests.helpers import register
from tests.integration.credit_world import FRAMEWORK

EN = {"Accept-Language": "en"}
ONBOARD = {
    "id": "east-branch",
    "type": "open_university",
    "name_zh": "东部分部",
    "name_en": "East Branch",
    "parent": "demo-ou",
    "credit_unit": "credit",
    "hours_per_unit": "18",
}


def entries(bank: Bank, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with bank.db.reading() as session:
        rows = session.execute(
            select(LedgerEntry.actor, LedgerBody.body)
            .join(LedgerBody, LedgerBody.seq == LedgerEntry.seq)
            .where(LedgerEntry.kind == kind)
            .order_by(LedgerEntry.seq)
        ).all()
    return [(actor, json.loads(body)) for actor, body in rows]


def size(bank: Bank) -> int:
    with bank.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


@pytest.fixture
def admin(bank: Bank, client: FlaskClient) -> SignedIn:
    register(bank, "demo-ou", type="open_university")
    client.set_cookie("lang", "en")
    return staff_member(bank, client, "adm.one", "admin")


def not_confirmed_lately(bank: Bank) -> None:
    """As if the sign-in (which counts as a confirmation) were more than the re-authentication window ago."""
    with bank.db.writing() as session:
        session.execute(update(StaffSession).values(authenticated_at=datetime.now(UTC) - timedelta(minutes=6)))


def post(signed: SignedIn, path: str, data: dict[str, Any], from_page: str, **options: Any) -> Any:
    token = csrf(signed.page(from_page))
    return signed.client.post(path, data={**data, "csrf_token": token}, headers=EN, **options)


def test_the_admin_pages_render(admin: SignedIn) -> None:
    home = admin.page("/staff/")
    assert 'href="/staff/admin/institutions"' in home
    assert "/staff/review/" not in home
    assert "demo-ou" in admin.page("/staff/admin/institutions")
    assert "Add a member of staff" in admin.page("/staff/admin/institutions/demo-ou")
    assert "adm.one" in admin.page("/staff/admin/bank-staff")
    assert "Publish by upload" in admin.page("/staff/admin/frameworks")


def test_onboarding_writes_an_entry_as_the_admin(bank: Bank, admin: SignedIn) -> None:
    answer = post(admin, "/staff/admin/institutions", ONBOARD, "/staff/admin/institutions")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/staff/admin/institutions/east-branch")
    (actor, body) = entries(bank, "institution.registered")[-1]
    assert actor == f"bank:admin/staff:{admin.staff_id}"
    assert body == {
        "institution": "east-branch",
        "type": "open_university",
        "names": {"en": "East Branch", "zh": "东部分部"},
        "parent": "demo-ou",
        "credit_unit": {"name": "credit", "hours": 18},
    }
    assert "东部分部" in admin.page("/staff/admin/institutions/east-branch") or "East Branch" in admin.page(
        "/staff/admin/institutions/east-branch"
    )


def test_every_onboarding_fault_is_shown_by_its_field_and_nothing_is_written(bank: Bank, admin: SignedIn) -> None:
    before = size(bank)
    bad = {**ONBOARD, "id": "East Branch!", "type": "castle", "name_en": "", "credit_unit": "", "hours_per_unit": "-3"}
    answer = post(admin, "/staff/admin/institutions", bad, "/staff/admin/institutions")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    for field in ("id", "type", "name_en", "credit_unit", "hours_per_unit"):
        assert f'id="f-{field}-error"' in page, field
        assert f'aria-describedby="f-{field}-error"' in page or f' f-{field}-error"' in page, field
    assert "Use 1–64 lower-case letters" in page
    assert 'value="East Branch!"' in page  # what was typed stays in the form
    not_a_number = post(
        admin, "/staff/admin/institutions", {**ONBOARD, "hours_per_unit": "many"}, "/staff/admin/institutions"
    )
    assert not_a_number.status_code == 422
    assert 'id="f-hours_per_unit-error"' in not_a_number.get_data(as_text=True)
    unknown_parent = post(
        admin, "/staff/admin/institutions", {**ONBOARD, "parent": "nowhere"}, "/staff/admin/institutions"
    )
    assert unknown_parent.status_code == 422
    assert "The parent institution is not registered." in unknown_parent.get_data(as_text=True)
    control = post(
        admin, "/staff/admin/institutions", {**ONBOARD, "name_en": "East\x00Branch"}, "/staff/admin/institutions"
    )
    assert control.status_code == 422
    assert 'id="f-name_en-error"' in control.get_data(as_text=True)
    taken = post(admin, "/staff/admin/institutions", {**ONBOARD, "id": "demo-ou"}, "/staff/admin/institutions")
    assert taken.status_code == 409
    assert "This id is registered already." in taken.get_data(as_text=True)
    assert size(bank) == before
    with bank.db.reading() as session:
        assert session.get(Institution, "east-branch") is None


def test_adding_a_registrar_shows_the_set_up_link_once(bank: Bank, admin: SignedIn, app) -> None:
    answer = post(
        admin,
        "/staff/admin/institutions/demo-ou/staff",
        {"login": "reg.east", "role": "registrar"},
        "/staff/admin/institutions/demo-ou",
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    link = re.search(r'id="setup-link">[^<]*/staff/setup/([A-Za-z0-9_-]+)<', page)
    assert link, page
    (made,) = list(accounts.list_all(bank, "demo-ou"))
    assert (made.login, made.role, made.state) == ("reg.east", "registrar", "setup_pending")
    assert made.created_by == f"bank:admin/staff:{admin.staff_id}"
    assert link.group(1) not in admin.page("/staff/admin/institutions/demo-ou")
    # The link works: its owner sets the account up.
    set_up(app.test_client(), link.group(1), "reg.east")
    assert accounts.list_all(bank, "demo-ou")[0].state == "active"
    refused = post(
        admin,
        "/staff/admin/institutions/demo-ou/staff",
        {"login": "reg.east", "role": "admin"},
        "/staff/admin/institutions/demo-ou",
    )
    assert refused.status_code == 422
    assert 'id="f-role-error"' in refused.get_data(as_text=True)


def test_minting_accounts_and_keys_needs_a_fresh_confirmation(bank: Bank, admin: SignedIn) -> None:
    # A stolen or unattended session must not hand out a way in: new staff and new keys ask again, like a reset.
    not_confirmed_lately(bank)
    page = "/staff/admin/institutions/demo-ou"
    for path, data, back in (
        (f"{page}/staff", {"login": "mole.one", "role": "registrar"}, page),
        (f"{page}/keys", {"scope": "records:read"}, page),
        ("/staff/admin/bank-staff", {"login": "mole.adm", "role": "admin"}, "/staff/admin/bank-staff"),
    ):
        answer = post(admin, path, {**data, "back": back}, back)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/staff/reauth?next="), path
        assert "/staff/setup/" not in answer.get_data(as_text=True)
    assert [view.login for view in accounts.list_all(bank)] == ["adm.one"]
    assert api_keys.list_keys(bank, "demo-ou") == []
    admin.confirm()
    answer = post(admin, f"{page}/staff", {"login": "reg.one", "role": "registrar", "back": page}, page)
    assert answer.status_code == 200
    assert "/staff/setup/" in answer.get_data(as_text=True)


def test_disabling_staff_needs_a_fresh_confirmation(bank: Bank, admin: SignedIn) -> None:
    not_confirmed_lately(bank)
    created = accounts.add(bank, "reg.two", "registrar", "demo-ou", created_by="bank:test")
    path = f"/staff/admin/staff/{created.staff.id}/disable"
    back = "/staff/admin/institutions/demo-ou"
    answer = post(admin, path, {"back": back}, back)
    assert answer.status_code == 302
    assert "/staff/reauth?next=" in answer.headers["Location"]
    assert "institutions/demo-ou" in answer.headers["Location"]
    assert accounts.list_all(bank, "demo-ou")[0].state == "setup_pending"
    admin.confirm()
    answer = post(admin, path, {"back": back}, back)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(back)
    assert accounts.list_all(bank, "demo-ou")[0].state == "disabled"


def test_a_reset_gives_a_new_link_after_confirmation(bank: Bank, admin: SignedIn) -> None:
    not_confirmed_lately(bank)
    created = accounts.add(bank, "rev.two", "reviewer", None, created_by="bank:test")
    path = f"/staff/admin/staff/{created.staff.id}/reset"
    answer = post(admin, path, {"back": "/staff/admin/bank-staff"}, "/staff/admin/bank-staff")
    assert "/staff/reauth" in answer.headers["Location"]
    admin.confirm()
    answer = post(admin, path, {"back": "/staff/admin/bank-staff"}, "/staff/admin/bank-staff")
    assert answer.status_code == 200
    link = re.search(r"/staff/setup/([A-Za-z0-9_-]+)<", answer.get_data(as_text=True))
    assert link
    assert link.group(1) != created.setup_token


def test_adding_bank_staff(bank: Bank, admin: SignedIn) -> None:
    answer = post(admin, "/staff/admin/bank-staff", {"login": "rev.new", "role": "reviewer"}, "/staff/admin/bank-staff")
    assert answer.status_code == 200
    assert "/staff/setup/" in answer.get_data(as_text=True)
    assert {view.login: view.role for view in accounts.list_all(bank, bank_only=True)} == {
        "adm.one": "admin",
        "rev.new": "reviewer",
    }
    refused = post(admin, "/staff/admin/bank-staff", {"login": "reg.x", "role": "registrar"}, "/staff/admin/bank-staff")
    assert refused.status_code == 422
    taken = post(admin, "/staff/admin/bank-staff", {"login": "rev.new", "role": "admin"}, "/staff/admin/bank-staff")
    assert taken.status_code == 409
    assert "This login is taken." in taken.get_data(as_text=True)


def test_a_key_is_shown_once_and_revoked_after_confirmation(bank: Bank, admin: SignedIn, app) -> None:
    page = "/staff/admin/institutions/demo-ou"
    none_chosen = post(admin, f"{page}/keys", {}, page)
    assert none_chosen.status_code == 422
    assert 'id="f-scope-error"' in none_chosen.get_data(as_text=True)
    answer = post(admin, f"{page}/keys", {"scope": ["records:read"]}, page)
    assert answer.status_code == 200
    token = re.search(r'id="api-key">(cb_[a-z0-9]{12}_[A-Za-z0-9_-]{43})<', answer.get_data(as_text=True))
    assert token
    assert api_keys.authenticate(bank, f"Bearer {token.group(1)}").scopes == frozenset({"records:read"})
    assert token.group(1) not in admin.page(page)
    key_id = token.group(1).split("_")[1]
    not_confirmed_lately(bank)
    revoke = f"/staff/admin/keys/{key_id}/revoke"
    first = post(admin, revoke, {"back": page}, page)
    assert "/staff/reauth" in first.headers["Location"]
    assert (
        app.test_client().get("/api/v1/whoami", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code
        == 200
    )
    admin.confirm()
    assert post(admin, revoke, {"back": page}, page).status_code == 302
    assert (
        app.test_client().get("/api/v1/whoami", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code
        == 401
    )


def _upload(admin: SignedIn, kind: str, content: bytes, name: str) -> Any:
    return post(
        admin,
        "/staff/admin/frameworks",
        {"kind": kind, "file": (io.BytesIO(content), name)},
        "/staff/admin/frameworks",
        content_type="multipart/form-data",
    )


def test_publishing_a_framework_by_upload_writes_it_as_the_admin(bank: Bank, admin: SignedIn) -> None:
    answer = _upload(admin, "framework", json.dumps(FRAMEWORK).encode(), "test-fw.json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "is published" in answer.get_data(as_text=True)
    ((actor, body),) = entries(bank, "framework.published")
    assert actor == f"bank:admin/staff:{admin.staff_id}"
    assert body["framework"] == "test-fw"
    again = _upload(admin, "framework", json.dumps(FRAMEWORK).encode(), "test-fw.json")
    assert "nothing changed" in again.get_data(as_text=True)
    assert len(entries(bank, "framework.published")) == 1


def test_a_broken_framework_shows_each_fault_by_place_and_writes_nothing(bank: Bank, admin: SignedIn) -> None:
    broken = {**FRAMEWORK, "id": "Bad Id", "levels": [{"number": "one"}], "credit_unit": {}}
    before = size(bank)
    answer = _upload(admin, "framework", json.dumps(broken).encode(), "broken.json")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    places = re.findall(r"<tr><td><code>([^<]+)</code></td><td>", page)
    assert len(places) >= 3, page
    assert "id" in places
    assert any(place.startswith("levels[0]") for place in places)
    assert any(place.startswith("credit_unit") for place in places)
    assert "nothing was written" in page
    not_toml = _upload(admin, "rules", b"version = = 1\n", "rules.toml")
    assert not_toml.status_code == 422
    assert "line 1" in not_toml.get_data(as_text=True)
    no_kind = _upload(admin, "catalogue", b"x = 1\n", "x.toml")
    assert no_kind.status_code == 400
    assert size(bank) == before


def test_admin_pages_speak_chinese(admin: SignedIn) -> None:
    admin.client.set_cookie("lang", "zh")
    page = admin.page("/staff/admin/institutions")
    assert "接入机构" in page
    assert "开放大学" in page


def test_other_roles_cannot_reach_the_admin_pages(bank: Bank, admin: SignedIn, app) -> None:
    reviewer = staff_member(bank, app.test_client(), "rev.one", "reviewer")
    registrar = staff_member(bank, app.test_client(), "reg.one", "registrar", "demo-ou")
    target = accounts.add(bank, "victim", "viewer", "demo-ou", created_by="bank:test").staff.id
    for signed in (reviewer, registrar):
        for path in (
            "/staff/admin/institutions",
            "/staff/admin/institutions/demo-ou",
            "/staff/admin/bank-staff",
            "/staff/admin/frameworks",
        ):
            assert signed.client.get(path).status_code == 403, (signed.login, path)
        token = csrf(signed.page("/staff/"))
        for path, data in (
            ("/staff/admin/institutions", ONBOARD),
            (f"/staff/admin/staff/{target}/disable", {}),
            ("/staff/admin/institutions/demo-ou/keys", {"scope": "records:read"}),
        ):
            assert signed.client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    with bank.db.reading() as session:
        assert session.get(Institution, "east-branch") is None
    assert {view.login: view.state for view in accounts.list_all(bank, "demo-ou")}["victim"] == "setup_pending"
    assert api_keys.list_keys(bank, "demo-ou") == []


def test_unknown_or_malformed_ids_are_not_found(admin: SignedIn) -> None:
    assert admin.client.get("/staff/admin/institutions/nowhere").status_code == 404
    assert admin.client.get("/staff/admin/institutions/Bad%00Id").status_code == 404
    admin.confirm()
    token = csrf(admin.page("/staff/admin/bank-staff"))
    for path in ("/staff/admin/staff/stf-00000000000000000000/disable", "/staff/admin/keys/zz%00/revoke"):
        assert admin.client.post(path, data={"csrf_token": token}).status_code == 404, path
