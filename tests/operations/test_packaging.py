"""Installing the project prints nothing but pip's own progress: no setuptools warnings (licence metadata, data
folders "absent from the packages configuration", editable-install notices), and the wheel ships every data file of
the five packages (templates, translations, shipped frameworks and rules).

The build runs on a copy of the sources in a temporary folder, so nothing is written into the checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "certificates", "creditbank", "api", "migrations")
# What setuptools and pip print when something is off; pip's own notice about this machine's index configuration
# is about the machine, not the project.
WARNING = re.compile(r"warn|deprecat|!!", re.IGNORECASE)
MACHINE_NOTICE = "is ignored: it is neither a file nor a directory"


def _copy_sources(target: Path) -> Path:
    source = target / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return source


def _pip(*args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return done.returncode, lines


def _warnings(lines: list[str]) -> list[str]:
    return [line for line in lines if WARNING.search(line) and MACHINE_NOTICE not in line]


def _data_files(source: Path) -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (source / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc"):
                found.add(path.relative_to(source).as_posix())
    return found


def test_editable_install_prints_no_warning_and_the_wheel_ships_every_data_file(tmp_path: Path) -> None:
    source = _copy_sources(tmp_path)
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"

    # As `make` installs it: quietly, editable.
    code, lines = _pip("--python", str(python), "install", "--quiet", "--no-deps", "-e", str(source))
    assert code == 0, "\n".join(lines)
    assert _warnings(lines) == [], "\n".join(lines)
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('creditbank').origin)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert found == str(source / "creditbank" / "__init__.py")

    code, lines = _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source))
    assert code == 0, "\n".join(lines)
    assert _warnings(lines) == [], "\n".join(lines)
    (wheel,) = (tmp_path / "dist").glob("creditbank-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = _data_files(source)
    assert "creditbank/templates/portal/base.html" in expected
    assert expected - shipped == set()
    assert not [name for name in shipped if name.split("/", 1)[0] not in PACKAGES and ".dist-info/" not in name]
