"""`creditbank` run in a folder that holds no bank: commands that need one say where they looked and how to create
it, exit non-zero without a traceback, and leave no ``instance/`` behind; offline verification needs no bank at all;
only the set-up commands create the instance folder, and they say where. A busy port is one line naming it.

Each command runs as a child process in a temporary folder, with no CREDITBANK_* setting from the environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(sys.executable).parent / "creditbank"


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CREDITBANK_")}
    env["CREDITBANK_LOG_LEVEL"] = "ERROR"
    return env


def _run(folder: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CLI), *args], cwd=folder, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("args", [("ledger", "audit"), ("witness", "key"), ("scheduler",)])
def test_a_command_that_needs_a_bank_says_where_it_looked(elsewhere: Path, args: tuple[str, ...]) -> None:
    done = _run(elsewhere, *args)
    assert done.returncode == 1, done
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"the instance folder {elsewhere / 'instance'}" in message
    assert "CREDITBANK_INSTANCE_PATH is unset" in message
    assert "creditbank db upgrade" in message
    assert list(elsewhere.iterdir()) == []


def test_verify_with_a_trusted_did_document_needs_no_bank(elsewhere: Path) -> None:
    (elsewhere / "credential.json").write_text('{"type": ["VerifiableCredential"]}')
    (elsewhere / "did.json").write_text('{"id": "did:web:bank.example", "verificationMethod": []}')
    done = _run(elsewhere, "verify", "credential.json", "--trust", "did.json")
    # The file was verified (and is not a credential): a verdict, not a refusal to start.
    assert done.returncode == 1, done
    assert done.stdout.startswith("credential.json: NOT VALID"), done.stdout
    assert "bank" not in done.stderr, done.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == ["credential.json", "did.json"]


def test_verify_without_trust_and_without_a_bank_names_the_offline_way(elsewhere: Path) -> None:
    (elsewhere / "credential.json").write_text("{}")
    done = _run(elsewhere, "verify", "credential.json")
    assert done.returncode == 2, done
    assert "no bank here" in done.stderr
    assert "--trust did.json" in done.stderr
    assert sorted(path.name for path in elsewhere.iterdir()) == ["credential.json"]


def test_db_upgrade_creates_the_instance_folder_and_says_where(elsewhere: Path) -> None:
    done = _run(elsewhere, "db", "upgrade")
    assert done.returncode == 0, done
    instance = elsewhere / "instance"
    assert f"created the instance folder {instance}" in done.stderr
    assert str(instance / "creditbank.sqlite3") in done.stdout
    assert instance.is_dir()
    assert (instance.stat().st_mode & 0o777) == 0o700
    again = _run(elsewhere, "db", "upgrade")
    assert again.returncode == 0, again
    assert "created" not in again.stderr
    # The bank is there now: a command that needs it runs.
    assert _run(elsewhere, "institutions", "list").returncode == 0


def test_a_missing_database_in_an_existing_instance_folder_is_named(elsewhere: Path) -> None:
    (elsewhere / "instance").mkdir()
    done = _run(elsewhere, "ledger", "audit")
    assert done.returncode == 1, done
    assert f"no database at {elsewhere / 'instance' / 'creditbank.sqlite3'}" in done.stderr
    assert list((elsewhere / "instance").iterdir()) == []


@pytest.fixture
def busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_scheduler_metrics_on_a_busy_port_is_one_line(elsewhere: Path, busy_port: int) -> None:
    assert _run(elsewhere, "db", "upgrade").returncode == 0
    assert _run(elsewhere, "keys", "init").returncode == 0
    done = _run(elsewhere, "scheduler", "--metrics-bind", f"127.0.0.1:{busy_port}")
    assert done.returncode == 1, done
    assert done.stderr.strip() == (
        f"Error: cannot serve the scheduler's metrics on 127.0.0.1:{busy_port}: "
        "the address is already in use (another server is listening there?)"
    )


def test_serve_on_a_busy_port_is_one_line(elsewhere: Path, busy_port: int) -> None:
    done = _run(elsewhere, "serve", "--port", str(busy_port), "--no-demo")
    assert done.returncode == 1, done
    lines = [line for line in done.stderr.splitlines() if not line.startswith("created the instance folder")]
    assert lines == [
        f"Error: cannot serve on 127.0.0.1:{busy_port}: the address is already in use (another server is listening "
        "there?)"
    ], done.stderr
