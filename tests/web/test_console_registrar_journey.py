"""A registrar's first term in the console, in a real browser: set up the account with the code from an
authenticator, download the Excel template, fill in 200 completions with one mistake, upload, read the problem by
its row, fix it, upload again, preview, write, print the activation letters; then find a learner. Every page is
checked by axe-core in Chinese and English, at phone width (390 px) and at 200% zoom."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl
import pyotp
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from creditbank import spreadsheets
from tests.web.browser import axe, describe_violation, no_horizontal_scroll, snap
from tests.web.conftest import CLI, LiveServer

INSTITUTION = "demo-senior-college"
ROWS = 200
BAD_ROW = 57  # the 57th completion: Excel's row 58, under the header
WITHOUT_EMAIL = 3
# Validating and writing run in the background; their page reloads itself every 2 seconds.
SETTLE_MS = 60_000
PASSWORD = "registrar's long password"


def check(page: Page, name: str) -> None:
    """No axe violation, 18 px text, and no sideways scrolling at phone width or at 200% zoom of 1280 px."""
    snap(page, name)
    found = axe(page)
    assert found == [], "\n".join(describe_violation(violation) for violation in found)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    for width in (390, 640):
        no_horizontal_scroll(page, width)
    snap(page, f"{name}-390")
    found = axe(page)
    assert found == [], "\n".join(describe_violation(violation) for violation in found)
    page.set_viewport_size({"width": 1280, "height": 900})


def set_up_link(live_server: LiveServer) -> str:
    done = subprocess.run(
        [str(CLI), "staff", "add", "journey.registrar", "--institution", INSTITUTION, "--role", "registrar"],
        env=live_server.env,
        cwd=live_server.instance.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return urlsplit(done.stdout.strip().splitlines()[-1]).path


def fill(template: Path, rows: list[dict[str, str]], target: Path) -> None:
    book = openpyxl.load_workbook(template)
    sheet = book.active
    headers = {cell.value.split(" / ")[1]: cell.column for cell in sheet[1] if cell.value}
    sheet.delete_rows(2, sheet.max_row)
    for number, values in enumerate(rows, start=2):
        for name, value in values.items():
            cell = sheet.cell(row=number, column=headers[name], value=value)
            cell.number_format = "@"
    book.save(target)


def cn_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def completion(n: int) -> dict[str, str]:
    return {
        "Chinese name": f"张学员{n}",
        "Latin name": f"Zhang Xueyuan {n}",
        "Birth date": "1956-02-11",
        "ID country": "CN",
        "ID number": cn_id(f"310101195602{n:05d}"),
        "E-mail": "" if n <= WITHOUT_EMAIL else f"learner{n}@example.org",
        "Record ID": f"2026-SPRING-{n:04d}",
        "Kind": "课程",
        "Title (Chinese)": "智能手机应用",
        "Title (English)": "Using a Smartphone",
        "Credits": "2",
        "Hours": "32",
        "Completed": "2026-01-10",
        "Result type": "通过与否",
        "Passed": "是",
    }


def upload(page: Page, file: Path) -> None:
    page.goto("/staff/imports")
    page.set_input_files("#file", str(file))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    settle(page)


def settle(page: Page) -> None:
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0, timeout=SETTLE_MS)


def test_a_registrar_imports_a_term_from_excel(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    page.context.set_default_timeout(30_000)
    setup = set_up_link(live_server)
    page.goto(setup)
    check(page, "console-setup")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("link", name="导入一个电子表格（Excel 或 CSV）")).to_be_visible()
    check(page, "console-registrar-home")

    page.get_by_role("link", name="导入一个电子表格（Excel 或 CSV）").click()
    check(page, "console-imports")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Excel 模板（.xlsx）").click()
    template = tmp_path / "template.xlsx"
    downloading.value.save_as(template)
    assert openpyxl.load_workbook(io.BytesIO(spreadsheets.template_xlsx())).active.max_column == (
        openpyxl.load_workbook(template).active.max_column
    )

    rows = [completion(n) for n in range(1, ROWS + 1)]
    rows[BAD_ROW - 1] = {**rows[BAD_ROW - 1], "Birth date": "1956-02-30"}
    filled = tmp_path / "spring-2026.xlsx"
    fill(template, rows, filled)
    upload(page, filled)
    problem = page.locator("table.problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text(f"第 {BAD_ROW + 1} 行")
    expect(problem.locator("td").nth(1)).to_have_text("出生日期 / Birth date")
    check(page, "console-import-problem-zh")
    page.get_by_role("link", name="English").click()
    expect(problem.locator("td").nth(0)).to_have_text(f"row {BAD_ROW + 1}")
    check(page, "console-import-problem-en")
    page.get_by_role("link", name="中文").click()

    rows[BAD_ROW - 1] = completion(BAD_ROW)
    fill(template, rows, filled)
    upload(page, filled)
    expect(page.locator("#sum-new-learners")).to_have_text(str(ROWS))
    expect(page.locator("#sum-new-achievements")).to_have_text(str(ROWS))
    check(page, "console-import-preview")
    page.get_by_role("button", name="写入账本").click()
    settle(page)
    expect(page.locator("#import-state")).to_have_text("已写入")
    check(page, "console-import-written")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="打印激活信（PDF）").click()
    letters = tmp_path / "letters.pdf"
    downloading.value.save_as(letters)
    assert len(PdfReader(letters).pages) == WITHOUT_EMAIL

    page.goto("/staff/learners")
    page.fill("#q", "2026-SPRING-0001")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    check(page, "console-find-learner")
    page.locator("main table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张学员1")
    check(page, "console-learner-zh")
    page.get_by_role("link", name="English").click()
    check(page, "console-learner-en")
    page.get_by_role("link", name=re.compile("^Correct this record")).first.click()
    expect(page.locator("#f-result_type")).to_have_value("pass_fail")
    check(page, "console-correct-en")


def test_a_viewer_reads_but_is_offered_nothing_to_change(page: Page, live_server: LiveServer) -> None:
    done = subprocess.run(
        [str(CLI), "staff", "add", "journey.viewer", "--institution", INSTITUTION, "--role", "viewer"],
        env=live_server.env,
        cwd=live_server.instance.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    page.goto(urlsplit(done.stdout.strip().splitlines()[-1]).path)
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    check(page, "console-viewer-home")
    page.get_by_role("link", name="查看导入记录").click()
    expect(page.locator("#file")).to_have_count(0)
    expect(page.get_by_role("link", name="Excel 模板（.xlsx）")).to_be_visible()
    check(page, "console-viewer-imports")
    page.get_by_role("link", name="English").click()
    page.goto("/staff/learners?q=nobody-at-all")
    expect(page.get_by_role("status")).to_contain_text("None of your learners matches")
    check(page, "console-viewer-find-en")
