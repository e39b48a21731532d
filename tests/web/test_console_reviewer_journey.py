"""The bank's console in a real browser: a reviewer sets up their account from its link and decides on an
institution's proposals; an admin onboards an institution and adds its registrar. Every page visited is checked by
axe-core (in Chinese and English), at a phone's width and at 200% zoom."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Callable

import pyotp
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.browser import assert_accessible, no_horizontal_scroll, snap
from tests.web.conftest import CLI, LiveServer
from tests.web.test_public_pages import open_page

EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
PASSWORD = "a long staff password"
NARROW = 390
# 200% zoom of a 1280-px window lays the page out in 640 CSS pixels.
ZOOMED = 640


def check_page(page: Page, name: str) -> None:
    """axe with no violation of any impact, at desktop width, at a phone's width and at 200% zoom; no sideways
    scrolling (tables scroll inside their own box)."""
    snap(page, name)
    assert_accessible(page, EVERY_IMPACT)
    no_horizontal_scroll(page, NARROW)
    snap(page, f"{name}-{NARROW}")
    assert_accessible(page, EVERY_IMPACT)
    page.set_viewport_size({"width": ZOOMED, "height": 900})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= ZOOMED, f"{page.url} is {width}px wide at 200% zoom"
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    page.set_viewport_size({"width": 1280, "height": 900})


def reach_by_tab(page: Page, label: str, presses: int = 60) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.textContent.trim(), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; })()"
        )
        if focused[0] == label:
            assert focused[1], f"{label!r} has no visible focus outline"
            return
    raise AssertionError(f"{label!r} was not reached in {presses} presses of Tab")


def staff_link(live_server: LiveServer, login: str, role: str) -> str:
    done = subprocess.run(
        [str(CLI), "staff", "add", login, "--bank", "--role", role],
        env=live_server.env,
        cwd=live_server.instance.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r"(/staff/setup/\S+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


def propose_as_an_institution(live_server: LiveServer, code: str, credits: int) -> None:
    token = (live_server.instance / "demo-api-key.txt").read_text().strip()
    outcome = {
        "code": code,
        "framework": "cn-lifelong-example",
        "level": 2,
        "credits": credits,
        "category": "digital_literacy",
        "name": {"zh": f"网上购物安全 {code}", "en": f"Safe online shopping {code}"},
        "description": {"zh": "能识别虚假网店。", "en": "Can tell a fake online shop."},
    }
    request = urllib.request.Request(
        live_server.url("/api/v1/catalogue/outcomes"),
        data=json.dumps(outcome).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201


def set_up(page: Page, link: str, name: str) -> None:
    open_page(page, link)
    check_page(page, name)
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label(re.compile("^(密码|Password)$")).fill(PASSWORD)
    page.get_by_label(re.compile("^(再次输入密码|Password again)$")).fill(PASSWORD)
    page.get_by_label(re.compile("验证码|Code")).fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("完成设置|Finish set-up")).click()
    expect(page.get_by_role("status")).to_contain_text("账户已设置完成")


def test_a_reviewer_approves_one_proposal_and_rejects_another(
    fresh_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    propose_as_an_institution(live_server, "WEB-1", 2)
    propose_as_an_institution(live_server, "WEB-2", 90)
    page = fresh_context().new_page()
    set_up(page, staff_link(live_server, "rev.web", "reviewer"), "console-setup")
    check_page(page, "console-reviewer-home")
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="待审成果").click()
    queue = page.get_by_role("region", name=re.compile("^WEB-1 ·"))
    expect(queue).to_contain_text("inst:demo-university")
    check_page(page, "console-review-queue")

    # By keyboard: Tab to the approval button, which shows where the focus is, and press Enter.
    reach_by_tab(page, "批准 WEB-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("已批准")
    # A rejection without a reason is refused next to its field.
    with page.expect_navigation():
        page.get_by_role("button", name="驳回 WEB-2").click()
    expect(page.locator("#reason-error-WEB-2")).to_have_text("请填写驳回理由。")
    check_page(page, "console-review-reason-missing")
    page.locator("#reason-WEB-2").fill("90 学分远超这一单元的学习量。")
    with page.expect_navigation():
        page.get_by_role("button", name="驳回 WEB-2").click()
    expect(page.get_by_role("status")).to_contain_text("已驳回")

    open_page(page, "/staff/review/catalogue")
    expect(page.locator("main")).to_contain_text("90 学分远超这一单元的学习量。")
    check_page(page, "console-review-catalogue")
    open_page(page, "/staff/review/awards")
    check_page(page, "console-review-awards")
    open_page(page, "/lang/en?next=/staff/review/proposals")
    expect(page.locator("h1")).to_have_text("Catalogue proposals")
    check_page(page, "console-review-queue-en")


def test_an_admin_onboards_an_institution_and_adds_its_registrar(
    fresh_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    page = fresh_context().new_page()
    set_up(page, staff_link(live_server, "adm.web", "admin"), "console-setup-admin")
    with page.expect_navigation():
        page.get_by_role("navigation").get_by_role("link", name="机构").click()
    check_page(page, "console-admin-institutions")
    page.get_by_label("编号").fill("west-point")
    page.get_by_label("类型").select_option("community")
    page.get_by_label("中文名称").fill("西区学习点")
    page.get_by_label("英文名称").fill("West Learning Point")
    page.get_by_label("上级机构").select_option("demo-open-university")
    page.get_by_label("学分单位名称").fill("hour")
    page.get_by_label("每单位小时数").fill("1")
    with page.expect_navigation():
        page.get_by_role("button", name="登记机构").click()
    expect(page.get_by_role("status")).to_contain_text("机构已登记")
    expect(page.locator("h1")).to_contain_text("西区学习点")

    page.get_by_label("登录名").fill("reg.west")
    with page.expect_navigation():
        page.get_by_role("button", name="添加工作人员").click()
    link = page.locator("#setup-link")
    expect(link).to_contain_text("/staff/setup/")
    shown = link.inner_text()
    check_page(page, "console-admin-institution-link")
    open_page(page, "/staff/admin/institutions/west-point")
    expect(page.locator("main")).to_contain_text("reg.west")
    assert shown not in page.content()  # shown once
    for path, name in (("/staff/admin/bank-staff", "console-admin-bank-staff"),
                       ("/staff/admin/frameworks", "console-admin-frameworks")):  # fmt: skip
        open_page(page, path)
        check_page(page, name)
    open_page(page, "/lang/en?next=/staff/admin/institutions/west-point")
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    check_page(page, "console-admin-institution-en")
