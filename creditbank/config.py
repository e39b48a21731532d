"""Settings from ``CREDITBANK_*`` environment variables, overridable by ``create_app(config=...)``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_INSTANCE = Path.cwd() / "instance"
# The address `creditbank serve` listens on, as a URL: an override only serve passes (not an environment setting).
SERVE_URL = "SERVE_URL"
# Where serve records that address, so every other process of the instance (commands, a scheduler) names the same
# public URL, and so the same did:web, as the server does.
SERVE_URL_FILE = "serve-url.txt"

# name → (default, parser). Defaults that depend on other settings are filled in by ``load``.
_SETTINGS: dict[str, tuple[Any, Any]] = {
    "CREDITBANK_INSTANCE_PATH": (None, str),
    "CREDITBANK_DATABASE_URL": (None, str),
    "CREDITBANK_SERVER_NAME": ("localhost", str),
    "CREDITBANK_ORIGIN": (None, str),
    "CREDITBANK_PUBLIC_URL": (None, str),
    "CREDITBANK_KEY_PASSPHRASE": (None, str),
    "CREDITBANK_KEY_PASSPHRASE_FILE": (None, str),
    "CREDITBANK_MAX_BODY_BYTES": (4 * 1024 * 1024, int),
    "CREDITBANK_CHECKPOINT_INTERVAL": (1.0, float),
    "CREDITBANK_SCHEDULER_LEASE_SECONDS": (5.0, float),
    "CREDITBANK_LOG_LEVEL": ("INFO", str),
    "CREDITBANK_LOG_FORMAT": ("json", str),  # json (one object per line) or text
    # Reverse proxies in front that set X-Forwarded-For/-Proto; 0 trusts no such header (a client could forge it).
    "CREDITBANK_PROXY_HOPS": (0, int),
    # Where gunicorn's workers pool their metrics (gunicorn.conf.py); unset, each worker reports its own.
    "CREDITBANK_METRICS_DIR": (None, str),
    # A bearer token /metrics asks for; unset, /metrics answers anyone who reaches it (keep it behind the proxy).
    "CREDITBANK_METRICS_TOKEN": (None, str),
    # host:port on which `creditbank scheduler` serves its own /metrics; unset, it serves none.
    "CREDITBANK_SCHEDULER_METRICS_BIND": (None, str),
}


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    overrides = dict(overrides or {})
    serve_url = overrides.pop(SERVE_URL, None)
    given = {name for name in _SETTINGS if name in overrides or name in os.environ}
    settings: dict[str, Any] = {}
    for name, (default, parse) in _SETTINGS.items():
        if name in overrides:
            settings[name] = overrides.pop(name)
        elif name in os.environ:
            settings[name] = parse(os.environ[name])
        else:
            settings[name] = default
    instance = Path(settings["CREDITBANK_INSTANCE_PATH"] or DEFAULT_INSTANCE).resolve()
    settings["CREDITBANK_INSTANCE_PATH"] = str(instance)
    settings["INSTANCE_GIVEN"] = bool("CREDITBANK_INSTANCE_PATH" in given and settings["CREDITBANK_INSTANCE_PATH"])
    if not settings["CREDITBANK_DATABASE_URL"]:
        settings["CREDITBANK_DATABASE_URL"] = f"sqlite:///{instance / 'creditbank.sqlite3'}"
    if not settings["CREDITBANK_ORIGIN"]:
        settings["CREDITBANK_ORIGIN"] = f"{settings['CREDITBANK_SERVER_NAME']}/creditbank"
    # Which setting, if any, asked for the origin: once the log key exists it states the origin itself (runtime.Bank),
    # and only an origin someone configured can disagree with it; the bare default names no log.
    settings["ORIGIN_SOURCE"] = next(
        (name for name in ("CREDITBANK_ORIGIN", "CREDITBANK_SERVER_NAME") if name in given and settings[name]), None
    )
    # The address credentials, QR codes, printed links and did:web point at; set it to the public https URL in
    # production. Unset, it is where `creditbank serve` listens (in serve itself, then in every other process of the
    # instance from the address serve recorded), and only for an instance never served `http://<server name>`.
    if settings["CREDITBANK_PUBLIC_URL"]:
        settings["PUBLIC_URL_SOURCE"] = "CREDITBANK_PUBLIC_URL"
    elif serve_url:
        settings["CREDITBANK_PUBLIC_URL"] = serve_url
        settings["PUBLIC_URL_SOURCE"] = "serve"
    elif recorded := recorded_serve_url(instance):
        settings["CREDITBANK_PUBLIC_URL"] = recorded
        settings["PUBLIC_URL_SOURCE"] = SERVE_URL_FILE
    else:
        settings["CREDITBANK_PUBLIC_URL"] = f"http://{settings['CREDITBANK_SERVER_NAME']}"
        settings["PUBLIC_URL_SOURCE"] = "CREDITBANK_SERVER_NAME"
    settings["CREDITBANK_PUBLIC_URL"] = settings["CREDITBANK_PUBLIC_URL"].rstrip("/")
    passphrase_file = settings.pop("CREDITBANK_KEY_PASSPHRASE_FILE")
    if passphrase_file and not settings["CREDITBANK_KEY_PASSPHRASE"]:
        settings["CREDITBANK_KEY_PASSPHRASE"] = Path(passphrase_file).read_text(encoding="utf-8").strip()
    settings["MAX_CONTENT_LENGTH"] = settings["CREDITBANK_MAX_BODY_BYTES"]
    settings.update(overrides)
    return settings


def recorded_serve_url(instance: Path) -> str | None:
    """The address `creditbank serve` last listened on for this instance, if it recorded one."""
    try:
        text = (instance / SERVE_URL_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("http://") or any(c.isspace() for c in text):
        return None
    return text
