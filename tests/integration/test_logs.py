"""Structured logs: every line is a JSON object, request lines carry a request id, and no personal data or secret
reaches the log however a learner's details travel through the bank."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from creditbank import logs
from creditbank.runtime import bank_of
from tests.conftest import BACKENDS, configuration, database_url, running_app
from tests.integration.credit_world import build

PERSON = {
    "name": {"zh": "欧阳秀琴", "latin": "Ouyang Xiuqin"},
    "birth_date": "1961-09-27",
    "national_id": {"country": "CN", "number": "110105196109270021"},
}
EMAIL = "xiuqin.ouyang@example.org"
PASSWORD = "sea-and-sky-1961"


def _csrf(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _log_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    parsed = []
    for line in lines:
        record = json.loads(line)  # a line that is not JSON fails the test here
        assert {"time", "level", "logger", "message"} <= set(record), line
        parsed.append(record)
    return parsed


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_learners_journey_leaves_no_personal_data_in_the_logs(
    backend: str, request: pytest.FixtureRequest, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = configuration(database_url(backend, request, tmp_path), tmp_path)
    config["CREDITBANK_LOG_LEVEL"] = "DEBUG"
    with running_app(config) as app:
        client = app.test_client()
        world = build(client, bank_of(app))
        capsys.readouterr()  # only what the journey below logs is examined

        enrolled = client.post("/api/v1/learners", json=PERSON, headers=world.headers("uni-a"))
        assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
        learner, code = enrolled.get_json()["id"], enrolled.get_json()["activation_code"]
        refused = client.post(
            "/api/v1/learners", json={**PERSON, "birth_date": "1961-02-30"}, headers=world.headers("uni-a")
        )
        assert refused.status_code == 422
        activated = client.post(
            "/activate",
            data={
                "code": code,
                "birth_date": PERSON["birth_date"],
                "email": EMAIL,
                "password": PASSWORD,
                "password_again": PASSWORD,
                "csrf_token": _csrf(client, "/activate"),
            },
        )
        assert activated.status_code == 302, activated.get_data(as_text=True)
        wrong = client.post(
            "/login", data={"login": EMAIL, "password": "not-" + PASSWORD, "csrf_token": _csrf(client, "/login")}
        )
        assert wrong.status_code == 401
        right = client.post(
            "/login", data={"login": EMAIL, "password": PASSWORD, "csrf_token": _csrf(client, "/login")}
        )
        assert right.status_code == 302
        item = {
            "learner": learner,
            "record_id": "OU-2026-7",
            "kind": "course",
            "title": {"en": "Digital basics"},
            "completed": "2026-01-10",
            "credits": 2,
        }
        recorded = client.post("/api/v1/achievements", json=item, headers=world.headers("uni-a"))
        assert recorded.status_code == 201, recorded.get_data(as_text=True)
        issued = client.post(
            f"/api/v1/learners/{learner}/credentials",
            json={"kind": "achievement", "achievement": recorded.get_json()["id"]},
            headers=world.headers("uni-a"),
        )
        assert issued.status_code == 201, issued.get_data(as_text=True)
        bundle = client.get(
            f"/api/v1/credentials/{issued.get_json()['id']}?receipt=true", headers=world.headers("uni-a")
        ).get_json()
        verified = client.post(
            "/api/v1/verify",
            data=json.dumps(bundle),
            content_type="application/json",
            query_string={"name": PERSON["name"]["latin"], "birth_date": PERSON["birth_date"]},
            headers={logs.REQUEST_ID_HEADER: "verifier-42"},
        )
        assert verified.status_code == 200
        assert verified.get_json()["valid"] is True, [c for c in verified.get_json()["checks"] if c["result"] != "pass"]
        assert verified.headers[logs.REQUEST_ID_HEADER] == "verifier-42"
        shared = client.post(
            "/me/share", data={"days": "7", "scope": "whole", "csrf_token": _csrf(client, "/me/share")}
        )
        token = re.search(r'id="share-url" value="[^"]*/s/([^"]+)"', shared.get_data(as_text=True))
        assert token is not None, shared.get_data(as_text=True)[:300]
        assert client.get(f"/s/{token.group(1)}").status_code == 200
        logging.getLogger("creditbank.test").info("journey finished")

        lines = _log_lines(capsys.readouterr().err)

    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    secrets = {
        "Chinese name": PERSON["name"]["zh"],
        "Latin name": PERSON["name"]["latin"],
        "birth date": PERSON["birth_date"],
        "ID number": PERSON["national_id"]["number"],
        "e-mail": EMAIL,
        "password": PASSWORD,
        "activation code": code,
        "share token": token.group(1),
        "API key": world.tokens["uni-a"],
    }
    leaked = [what for what, value in secrets.items() if value.casefold() in text.casefold()]
    assert leaked == [], f"personal data or secrets in the logs: {leaked}"

    requests = [line for line in lines if line["logger"] == "creditbank.access"]
    assert len(requests) >= 15
    assert all(re.fullmatch(r"[0-9a-f]{32}|verifier-42", line["request_id"]) for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests), "request ids repeat"
    assert {"method", "route", "status", "duration_ms"} <= set(requests[0])
    assert any(line["route"] == "/s/<string(maxlength=64):token>" for line in requests)
    assert any(line["request_id"] == "verifier-42" and line["route"] == "/api/v1/verify" for line in requests)
    assert any(line["status"] == 422 for line in requests)
    assert lines[-1]["message"] == "journey finished"
    assert "request_id" not in lines[-1], "a request id outlived its request"


def test_a_request_id_that_is_not_plainly_an_id_is_replaced(client: FlaskClient) -> None:
    answer = client.get("/health", headers={logs.REQUEST_ID_HEADER: "x\u2028injected {json}"})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers[logs.REQUEST_ID_HEADER])
    kept = client.get("/health", headers={logs.REQUEST_ID_HEADER: "edge-7f3a.1"})
    assert kept.headers[logs.REQUEST_ID_HEADER] == "edge-7f3a.1"


def test_an_error_line_carries_the_exception_and_stays_one_line() -> None:
    formatter = logs.JsonLines()
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), exc_info=True)
        record.exc_info = __import__("sys").exc_info()
    line = formatter.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed here"
    assert "RuntimeError: boom" in parsed["error"]
