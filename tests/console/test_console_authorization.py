"""Who may call which console route: every route × signed out, registrar, viewer, reviewer, admin × own and another
institution's ids, as ``route_matrix`` tables it."""

from __future__ import annotations

import re
from datetime import date

from creditbank import spreadsheets
from creditbank.services import credentials, imports
from creditbank.services.records import achievements, learners
from creditbank.services.records.api_keys import Principal
from creditbank.services.staff.members import ROLE_SCOPES
from tests.console.route_matrix import ALL_ROUTES, CALLED_LAST, ROLES, Route
from tests.console.staff_helpers import csrf, staff_member
from tests.helpers import register

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_console_route_is_in_the_matrix(app):
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert sorted(served - set(ALL_ROUTES)) == [], "routes the authorization matrix does not cover"
    assert sorted(set(ALL_ROUTES) - served) == [], "matrix rows for routes that no longer exist"


def _writer(institution: str) -> Principal:
    return Principal(f"key-{institution}", institution, ROLE_SCOPES["registrar"])


def _holdings(bank, institution: str, number: str) -> dict[str, str]:
    """A learner, a record, a credential and an import of ``institution``."""
    who = _writer(institution)
    person = learners.LearnerInput(
        birth_date=date(1950, 3, 1), name_zh="陈秀英", national_id_country="CN", national_id=number
    )
    learner = learners.enroll(bank, who, person).body["id"]
    data = {"kind": "course", "title": {"zh": "书法"}, "credits": 2, "completed": "2026-01-10"}
    recorded = achievements.record(bank, who, [achievements.Submission(learner, "R-1", data)], batch=False)
    achievement = recorded.body["id"]
    credential = credentials.issue(bank, who, credentials.Request(learner, "achievement", achievement))["id"]
    started = imports.upload(bank, who, "term.csv", spreadsheets.template_csv())
    return {
        "learner": learner,
        "achievement": achievement,
        "credential": credential,
        "import": started.id,
        "token": "x" * 43,
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda found: ids[found.group(1)], path)


def _names_ids(route: Route) -> bool:
    return any(PLACEHOLDER.search(text) for text in (route.path, *route.data.values()))


def _call(client, method: str, path: str, route: Route, ids: dict[str, str]) -> int:
    if method == "GET":
        return client.get(path).status_code
    token_page = "/staff/" if client.get("/staff/").status_code == 200 else "/staff/login"
    token = csrf(client.get(token_page).get_data(as_text=True))
    data = {name: _fill(value, ids) for name, value in route.data.items()}
    return client.post(path, data={**data, "csrf_token": token}).status_code


def test_the_authorization_matrix(bank, app):
    register(bank, "sen-a")
    register(bank, "sen-b")
    own = _holdings(bank, "sen-a", "11010519491231002X")
    other = _holdings(bank, "sen-b", "110105195803210024")
    clients = {
        "anonymous": app.test_client(),
        "registrar": staff_member(bank, app.test_client(), "reg", "registrar", "sen-a").client,
        "viewer": staff_member(bank, app.test_client(), "view", "viewer", "sen-a").client,
        "reviewer": staff_member(bank, app.test_client(), "rev", "reviewer").client,
        "admin": staff_member(bank, app.test_client(), "adm", "admin").client,
    }
    ordered = sorted(ALL_ROUTES.items(), key=lambda row: row[0] in CALLED_LAST)
    wrong: list[str] = []
    calls = 0
    for role in ROLES:
        client = clients[role]
        for (endpoint, method), route in ordered:
            cases = [("own", own, route.expect[role])]
            if _names_ids(route) and "{token}" not in route.path:
                cases.append(("other", other, route.other.get(role, route.expect[role])))
            for which, ids, expected in cases:
                path = _fill(route.path, ids)
                status = _call(client, method, path, route, ids)
                calls += 1
                if status != expected:
                    wrong.append(f"{role} {method} {endpoint} ({which} ids): {status}, expected {expected}")
    assert wrong == []
    assert calls >= len(ROLES) * len(ALL_ROUTES)
