"""Staff for console tests, set up the way a person does it: the set-up link, the QR secret, a password, a code.

Codes come from the real TOTP secret shown on the set-up page. The bank accepts each 30-second step once and one
step either side of now, so ``Authenticator.code()`` hands out the next unused step in that window (and waits for
the clock only in the rare case that all three are spent).
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

import pyotp
from flask.testing import FlaskClient

from creditbank.runtime import Bank
from creditbank.services.staff import accounts

PASSWORD = "correct horse battery"


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Authenticator:
    secret: str
    used: int = -1
    totp: pyotp.TOTP = field(init=False)

    def __post_init__(self) -> None:
        self.totp = pyotp.TOTP(self.secret)

    def code(self) -> str:
        while True:
            clock = time.time()
            now = int(clock // 30)
            # The step before now only while it stays in the bank's window until the code is checked (after a
            # scrypt hash): near the end of a step it would be two behind by then, and refused.
            earliest = now - 1 if clock % 30 < 25 else now
            step = max(self.used + 1, earliest)
            if step <= now + 1:
                self.used = step
                return self.totp.at(step * 30)
            time.sleep(1)


@dataclass
class SignedIn:
    client: FlaskClient
    login: str
    staff_id: str
    authenticator: Authenticator

    def page(self, path: str) -> str:
        answer = self.client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.get_data(as_text=True)

    def post(self, path: str, data: dict[str, str], *, from_page: str | None = None) -> object:
        token = csrf(self.page(from_page or path))
        return self.client.post(path, data={**data, "csrf_token": token})

    def confirm(self) -> None:
        """Give password and code again, as before a destructive act."""
        answer = self.post("/staff/reauth", {"password": PASSWORD, "code": self.authenticator.code()})
        assert answer.status_code == 302, answer.status_code  # type: ignore[attr-defined]


def set_up(client: FlaskClient, token: str, login: str) -> Authenticator:
    page = client.get(f"/staff/setup/{token}").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert secret, "the set-up page shows no secret"
    authenticator = Authenticator(html.unescape(secret.group(1)))
    answer = client.post(
        f"/staff/setup/{token}",
        data={
            "csrf_token": csrf(page),
            "password": PASSWORD,
            "password_again": PASSWORD,
            "code": authenticator.code(),
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return authenticator


def staff_member(bank: Bank, client: FlaskClient, login: str, role: str, institution_id: str | None = None) -> SignedIn:
    """A staff account created as `creditbank staff add` creates it, set up in this client and signed in."""
    created = accounts.add(bank, login, role, institution_id, created_by="bank:test")
    authenticator = set_up(client, created.setup_token, login)
    return SignedIn(client, created.staff.login, created.staff.id, authenticator)


def sign_in(client: FlaskClient, login: str, authenticator: Authenticator) -> object:
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post(
        "/staff/login",
        data={"csrf_token": csrf(page), "login": login, "password": PASSWORD, "code": authenticator.code()},
    )
