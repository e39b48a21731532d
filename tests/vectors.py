"""Locating the shared conformance vectors (``../shared/vectors`` beside the checkout)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def vectors_dir() -> Path:
    configured = os.environ.get("CREDITBANK_VECTORS")
    candidates = [Path(configured)] if configured else []
    candidates += [ROOT.parent / "shared" / "vectors", ROOT / "tests" / "data" / "vectors"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "conformance vectors not found: expected ../shared/vectors beside the checkout "
        "or CREDITBANK_VECTORS pointing at them"
    )


def load_json(relative: str) -> Any:
    return json.loads((vectors_dir() / relative).read_text(encoding="utf-8"))
