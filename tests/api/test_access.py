"""API keys: 401 for missing, malformed, wrong or revoked keys; 403 for a suspended institution."""

import re

from creditbank.models import Institution
from creditbank.services.records import api_keys
from tests.api.test_ledger_endpoints import assert_problem
from tests.helpers import register


def test_whoami_with_a_valid_key(client, bank):
    register(bank, "uni-a")
    issued = api_keys.issue(bank, "uni-a", ("records:read",))
    body = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"}).get_json()
    assert body == {"institution": "uni-a", "key_id": issued.id, "scopes": ["records:read"]}


def test_unauthenticated_callers_get_401(client, bank):
    register(bank, "uni-a")
    issued = api_keys.issue(bank, "uni-a")
    wrong_secret = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    for header in (None, "Basic abc", "Bearer nonsense", f"Bearer {wrong_secret}"):
        headers = {"Authorization": header} if header else {}
        response = client.get("/api/v1/whoami", headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    api_keys.revoke(bank, issued.id)
    assert_problem(client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"}), 401)


def test_suspended_institution_gets_403(client, bank):
    register(bank, "uni-a")
    issued = api_keys.issue(bank, "uni-a")
    with bank.db.writing() as session:
        session.get(Institution, "uni-a").status = "suspended"
    assert_problem(client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {issued.token}"}), 403)


def test_institution_directory(client, bank):
    register(bank, "national", type="open_university", name_zh="国家开放大学", credit_unit="credit", hours_per_unit=18)
    register(bank, "branch", type="open_university", parent="national")
    listed = client.get("/api/v1/institutions").get_json()
    assert [i["id"] for i in listed] == ["branch", "national"]
    national = client.get("/api/v1/institutions/national").get_json()
    assert national["name_zh"] == "国家开放大学"
    assert national["credit_unit"] == {"name": "credit", "hours_per_unit": 18.0}
    assert listed[0]["parent"] == "national"
    assert_problem(client.get("/api/v1/institutions/nope"), 404)


def test_openapi_and_offline_docs(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/ledger/proofs/inclusion" in spec["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/ledger/proofs/consistency" in page.text
    # Offline: nothing the page loads or links to is on another host (the curl examples name this bank's own URL).
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page.text) == []


def test_home_page_links_to_docs_and_ledger(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/api/v1/docs"' in page.text
    # The ledger is one click further, on the page that says in words what the checkpoint is.
    assert 'href="/about"' in page.text
    about = client.get("/about")
    assert about.status_code == 200
    assert 'href="/ledger/checkpoint"' in about.text
