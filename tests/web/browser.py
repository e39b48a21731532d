"""Helpers for the browser tests: screenshots, axe-core checks and the narrow-screen check.

They take a Playwright page and know nothing about the server, so any web test can use them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEFAULT_OUTPUT = ROOT / "build" / "test-output" / "web"
# A small phone: the width the learner portal has to work at without sideways scrolling.
PHONE: ViewportSize = {"width": 375, "height": 812}
BLOCKING_IMPACTS = ("serious", "critical")


def find_chromium() -> str | None:
    """Debian's Chromium; Playwright's own browser builds cannot be downloaded where these tests run."""
    for candidate in (os.environ.get("CREDITBANK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def output_dir() -> Path:
    """Where screenshots go: $CREDITBANK_TEST_OUTPUT (CI can keep it as an artifact) or the gitignored build/."""
    folder = Path(os.environ.get("CREDITBANK_TEST_OUTPUT") or DEFAULT_OUTPUT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def snap(page: Page, name: str) -> Path:
    """Save a full-page PNG named after what the test was looking at, for a person to review."""
    slug = re.sub(r"[^\w.]+", "-", name).strip("-.") or "page"
    path = output_dir() / f"{slug}.png"
    page.screenshot(path=path, full_page=True)
    return path


def axe(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations (every impact)."""
    if not AXE_SCRIPT.is_file():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `npm ci` in the repository (make setup does)")
    # A page that navigated lost the injected script; injecting twice on the same document would redefine axe.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script> element: the pages' Content-Security-Policy allows no scripts,
        # and the check must see the pages exactly as they are served.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return violations


def describe_violation(violation: dict[str, Any], targets: int = 3) -> str:
    # axe gives each target as a list of selectors, one per iframe or shadow root crossed on the way.
    where = [" >> ".join(node["target"]) for node in violation.get("nodes", [])[:targets]]
    more = len(violation.get("nodes", [])) - len(where)
    if more > 0:
        where.append(f"…and {more} more")
    return (
        f"{violation['id']} [{violation.get('impact')}]: {violation.get('help')} — {', '.join(where)}"
        f" ({violation.get('helpUrl', '')})"
    )


def assert_accessible(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> None:
    """Fail on every axe violation whose impact is in ``impacts``; minor and moderate ones do not block."""
    found = [v for v in axe(page) if v.get("impact") in impacts]
    if found:
        lines = "\n".join(f"  - {describe_violation(v)}" for v in found)
        raise AssertionError(f"{len(found)} accessibility violation(s) on {page.url}:\n{lines}")


def no_horizontal_scroll(page: Page, width: int = PHONE["width"]) -> None:
    """At a phone's width nothing may stick out sideways; on failure, name the elements that do."""
    if page.viewport_size is None or page.viewport_size["width"] != width:
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
    measured = page.evaluate(
        """() => {
            const limit = window.innerWidth;
            const wide = [...document.body.querySelectorAll('*')]
                .map(el => [el, el.getBoundingClientRect().right])
                .filter(([, right]) => right > limit + 0.5)
                .sort((a, b) => b[1] - a[1])
                .slice(0, 5)
                .map(([el, right]) => {
                    const id = el.id ? '#' + el.id : '';
                    const cls = typeof el.className === 'string' && el.className.trim()
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                    return `${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(right)}px)`;
                });
            return {scroll: document.documentElement.scrollWidth, inner: limit, wide};
        }"""
    )
    assert measured["scroll"] <= measured["inner"], (
        f"{page.url} scrolls sideways at {width}px: content is {measured['scroll']}px wide;"
        f" widest elements: {', '.join(measured['wide']) or 'none found (check ::before/::after or margins)'}"
    )
