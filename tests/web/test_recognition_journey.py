"""Recognition in a real browser: the learner applies with a scanned certificate and finds the application listed,
its state in words; the list, the form and the details at desktop and phone width, checked by axe-core."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer
from tests.web.test_portal_journeys import check_page, demo_login, log_in
from tests.web.test_public_pages import open_page

# Who the bank has to review it decides which of the two open states the application is in.
OPEN_STATE = re.compile("已提交，等待安排审核人|正在审核")


def test_a_learner_applies_with_a_scan_and_sees_it_listed(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    with page.expect_navigation():
        page.get_by_role("link", name="学习成果认定").click()
    expect(page.locator("h1")).to_have_text("认定我在别处的学习")
    check_page(page, "recognition-list")
    with page.expect_navigation():
        page.get_by_role("link", name="申请认定").click()
    expect(page.locator("h1")).to_have_text("申请学分认定")
    check_page(page, "recognition-new")
    scan = tmp_path / "certificate-scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256 + str(tmp_path).encode())
    page.get_by_label("文件 1", exact=True).set_input_files(str(scan))
    page.get_by_label("文件 1 证明了什么学习？").fill("社区老年大学太极拳班，48 学时，2025 年 6 月结业并通过考核")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("status")).to_have_text("申请已提交。")
    expect(page.locator("main")).to_contain_text("太极拳班，48 学时")
    expect(page.locator("main .badge")).to_have_text(OPEN_STATE)
    check_page(page, "recognition-detail")
    detail = page.url.removeprefix(live_server.base_url)
    open_page(page, "/me/recognition")
    card = page.locator("section.card").filter(has=page.locator(f'a[href="{detail}"]'))
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text(OPEN_STATE)
    check_page(page, "recognition-listed")
