"""`creditbank staff add | reset | list | disable`: accounts for the console, set-up links shown once."""

from __future__ import annotations

import json
import re


def _ready(cli) -> None:
    cli("db", "upgrade")
    cli("institutions", "add", "sen-a", "--type", "senior_college", "--name-en", "Senior College A")


def test_add_prints_a_one_time_set_up_link_and_list_shows_the_account(cli):
    _ready(cli)
    out = cli("staff", "add", "Wang.Li", "--institution", "sen-a", "--role", "registrar")
    assert re.search(r"/staff/setup/[A-Za-z0-9_-]{43}\b", out)
    listed = json.loads(cli("staff", "list", "--json"))
    assert [(row["login"], row["role"], row["institution"], row["state"]) for row in listed] == [
        ("wang.li", "registrar", "sen-a", "setup_pending")
    ]
    assert re.fullmatch(r"stf-[0-9a-z]{20}", listed[0]["id"])


def test_add_needs_exactly_one_place_and_a_role_that_fits_it(cli):
    _ready(cli)
    assert "exactly one" in cli("staff", "add", "a.b", "--role", "admin", code=2)
    assert "exactly one" in cli("staff", "add", "a.b", "--bank", "--institution", "sen-a", "--role", "admin", code=2)
    assert "bank staff take the role" in cli("staff", "add", "a.b", "--bank", "--role", "registrar", code=1)
    assert "no institution" in cli("staff", "add", "a.b", "--institution", "nowhere", "--role", "viewer", code=1)
    cli("staff", "add", "a.b", "--bank", "--role", "reviewer")
    assert "taken" in cli("staff", "add", "A.B", "--bank", "--role", "admin", code=1)
    assert "lower-case" in cli("staff", "add", "a b", "--bank", "--role", "admin", code=1)


def test_disable_and_reset(cli):
    _ready(cli)
    cli("staff", "add", "reviewer.one", "--bank", "--role", "reviewer")
    first = re.search(r"/staff/setup/(\S+)", cli("staff", "add", "reviewer.two", "--bank", "--role", "reviewer"))
    again = re.search(r"/staff/setup/(\S+)", cli("staff", "reset", "reviewer.two"))
    assert first
    assert again
    assert first.group(1) != again.group(1)
    assert "disabled reviewer.one" in cli("staff", "disable", "reviewer.one")
    states = {row["login"]: row["state"] for row in json.loads(cli("staff", "list", "--json"))}
    assert states == {"reviewer.one": "disabled", "reviewer.two": "setup_pending"}
    assert "is disabled" in cli("staff", "reset", "reviewer.one", code=1)
    assert "no staff account" in cli("staff", "disable", "nobody", code=1)
