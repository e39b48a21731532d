"""Behind a reverse proxy (CREDITBANK_PROXY_HOPS), login throttling counts the client's address, not the proxy's;
without it, a forged X-Forwarded-For is ignored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from creditbank.models import LoginThrottle
from creditbank.runtime import bank_of
from creditbank.services import throttle
from tests.conftest import configuration, database_url, running_app


@pytest.mark.parametrize(("hops", "address"), [(1, "198.51.100.7"), (0, "127.0.0.1")])
def test_failed_logins_are_counted_for_the_right_address(
    hops: int, address: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config = configuration(database_url("sqlite", request, tmp_path), tmp_path)
    config["CREDITBANK_PROXY_HOPS"] = hops
    with running_app(config) as app:
        client = app.test_client()
        forwarded = {"X-Forwarded-For": "198.51.100.7"}
        environ = {"REMOTE_ADDR": "127.0.0.1"}
        page = client.get("/login", headers=forwarded, environ_base=environ).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        answer = client.post(
            "/login",
            data={"login": "lrn_nobody", "password": "wrong-password", "csrf_token": token.group(1)},
            headers=forwarded,
            environ_base=environ,
        )
        assert answer.status_code == 401
        # The throttle keeps a keyed digest of the address, never the address itself.
        expected = throttle.key(bank_of(app), "ip", address)
        with bank_of(app).db.reading() as session:
            keys = set(session.scalars(select(LoginThrottle.key)))
        assert expected in keys
        assert {key for key in keys if key.startswith("ip:")} == {expected}
