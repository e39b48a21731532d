"""The learner portal in a real browser: activate and log in, see the record, download the transcript and verify
it, a tampered copy found not valid, share and withdraw a link, switch language, every page at phone width and
checked by axe-core."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader, PdfWriter

from tests.web.browser import PHONE, assert_accessible, no_horizontal_scroll, snap
from tests.web.conftest import LiveServer
from tests.web.test_public_pages import NOT_VALID, VALID, open_page, upload_and_verify, verdict


def demo_login(live_server: LiveServer) -> tuple[str, str, str]:
    learner, email, password = (live_server.instance / "demo-learner-login.txt").read_text().split()
    return learner, email, password


def log_in(page: Page, who: str, password: str) -> None:
    open_page(page, "/login")
    page.get_by_label(re.compile("电子邮箱或登录名|E-mail or login name")).fill(who)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^(登录|Log in)$")).click()


def check_page(page: Page, name: str) -> None:
    """Screenshot at desktop and phone width, axe at both, and no sideways scrolling on the phone."""
    snap(page, name)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    snap(page, f"{name}-375")
    no_horizontal_scroll(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def enroll_new_learner(live_server: LiveServer) -> dict[str, str]:
    token = (live_server.instance / "demo-api-key.txt").read_text().strip()
    person = {"name": {"zh": "吴九"}, "birth_date": "1951-09-09"}
    request = urllib.request.Request(
        live_server.url("/api/v1/learners"),
        data=json.dumps(person).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        body: dict[str, str] = json.loads(answer.read())
    return body


def test_activate_then_log_in(page: Page, live_server: LiveServer) -> None:
    enrolled = enroll_new_learner(live_server)
    open_page(page, "/activate")
    check_page(page, "activate")
    page.get_by_label(re.compile("激活码|Activation code")).fill(enrolled["activation_code"])
    page.get_by_label(re.compile("^(出生日期|Birth date)$")).fill("1951-09-09")
    page.get_by_label(re.compile("登录名|Login name")).fill("Wu.Jiu")
    page.get_by_label(re.compile("^(密码|Password)$")).fill("wu jiu long password")
    page.get_by_label(re.compile("再次输入密码|Password again")).fill("wu jiu long password")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^(激活|Activate)$")).click()
    expect(page.get_by_role("status")).to_contain_text("账户已开通")
    expect(page.get_by_role("status")).to_contain_text("wu.jiu")  # the login name, shown once to note down
    check_page(page, "login")
    log_in(page, "wu.jiu", "wu jiu long password")
    expect(page.locator("h1")).to_have_text("我的学习记录")
    # The code is spent: a second activation with it is refused next to the field.
    open_page(page, "/activate")
    page.get_by_label(re.compile("激活码")).fill(enrolled["activation_code"])
    page.get_by_label(re.compile("^出生日期$")).fill("1951-09-09")
    page.get_by_label(re.compile("登录名")).fill("wu.jiu")
    page.get_by_label(re.compile("^密码$")).fill("another long password")
    page.get_by_label(re.compile("再次输入密码")).fill("another long password")
    page.get_by_role("button", name="激活").click()
    expect(page.locator("#code-error")).to_have_text("该激活码已经使用过。")
    snap(page, "activate-code-used")


def test_wrong_password_is_a_generic_message(page: Page, live_server: LiveServer) -> None:
    _, email, _ = demo_login(live_server)
    log_in(page, email, "certainly not it")
    expect(page.get_by_role("alert")).to_have_text("登录名或密码不正确。")
    snap(page, "login-wrong-password")


def test_the_learners_pages(page: Page, live_server: LiveServer) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    expect(page.locator("main")).to_contain_text("数字素养与技能")
    expect(page.get_by_role("link", name=re.compile(r"记录于账本第 \d+ 条")).first).to_be_visible()
    check_page(page, "me-record")
    open_page(page, "/me/credits")
    # The chart's words are page text above bars measured against the largest level.
    caption = page.locator("main figure.level-chart figcaption").first
    expect(caption).to_have_text("各级别的学分：累计获得的和仍可使用的")
    expect(page.locator("main .level-row").first).to_contain_text("累计获得")
    check_page(page, "me-credits")
    for path, name in (("/me/documents", "me-documents"), ("/me/share", "me-share"), ("/me/data", "me-data"),
                       ("/me/password", "me-password")):  # fmt: skip
        open_page(page, path)
        check_page(page, name)


def test_download_the_transcript_verify_it_and_a_tampered_copy(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    open_page(page, "/me/documents")
    with page.expect_navigation():
        page.get_by_role("button", name="生成成绩单").click()
    expect(page.get_by_role("status")).to_have_text("文件已生成。")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").first.click()
    pdf = tmp_path / "transcript.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    upload_and_verify(page, str(pdf))
    expect(verdict(page)).to_have_text(VALID["zh"])
    check_page(page, "verify-my-transcript")

    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    writer = PdfWriter(clone_from=reader)
    contents = writer.pages[0].get_contents()
    assert contents is not None
    data = contents.get_data()
    start = data.index(b"BT")
    contents.set_data(data[:start] + data[data.index(b"ET", start) + 2 :])
    writer.pages[0].replace_contents(contents)
    tampered = tmp_path / "tampered.pdf"
    with tampered.open("wb") as handle:
        writer.write(handle)
    upload_and_verify(page, str(tampered))
    expect(verdict(page)).to_have_text(NOT_VALID["zh"])
    # The rewritten file carries no signature of the bank over its bytes, and its text is no longer what was issued.
    expect(page.locator("tr.check-fail").filter(has_text="PDF 文件的银行签名")).to_have_count(1)
    expect(page.locator("tr.check-fail").filter(has_text="账本记录")).to_have_count(1)
    snap(page, "verify-tampered-transcript")


def test_share_link_opens_for_a_stranger_until_withdrawn(
    page: Page, live_server: LiveServer, fresh_context: Callable[..., BrowserContext]
) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    open_page(page, "/me/share")
    with page.expect_navigation():
        page.get_by_role("button", name="生成分享链接").click()
    link = page.locator("#share-url").input_value()
    snap(page, "share-created")
    stranger = fresh_context().new_page()
    open_page(stranger, link.split(live_server.base_url, 1)[-1])
    expect(stranger.locator("h1")).to_contain_text("陈秀英")
    check_page(stranger, "shared-record")
    open_page(page, "/me/share")
    expect(page.locator("tbody tr").first).to_contain_text("1")
    with page.expect_navigation():
        page.get_by_role("button", name="撤回").first.click()
    expect(page.get_by_role("status")).to_have_text("链接已撤回。")
    other = fresh_context().new_page()
    open_page(other, link.split(live_server.base_url, 1)[-1], status=410)
    expect(other.get_by_role("alert")).to_have_text("该分享链接已过期或已被撤回。")
    check_page(other, "shared-withdrawn")


def test_switching_language_is_remembered(page: Page, live_server: LiveServer) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("My lifelong learning record")
    open_page(page, "/me/credits")
    expect(page.locator("h1")).to_have_text("My credits")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    snap(page, "me-credits-en")
    with page.expect_navigation():
        page.get_by_role("link", name="中文").click()
    expect(page.locator("h1")).to_have_text("我的学分")


def test_another_learners_document_and_a_missing_page_are_friendly_404s(page: Page, live_server: LiveServer) -> None:
    _, email, password = demo_login(live_server)
    log_in(page, email, password)
    open_page(page, "/me/documents/urn:uuid:00000000-0000-4000-8000-000000000000.pdf", status=404)
    expect(page.get_by_role("alert")).to_have_text("找不到该页面。")
    check_page(page, "not-found")


def test_usable_at_200_percent_zoom_and_by_keyboard(page: Page, live_server: LiveServer) -> None:
    # 200% zoom of a 1280-px window lays the page out in 640 CSS pixels: nothing may need sideways scrolling.
    page.set_viewport_size({"width": 640, "height": 900})
    for path in ("/", "/login", "/verify"):
        open_page(page, path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 640, f"{path} is {width}px wide at 200% zoom"
        font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 18
    snap(page, "verify-zoom-200")
    # Tab from the top of the login page: every control is reached in order and shows where the focus is.
    open_page(page, "/login")
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement; if (e === document.body) return null;"
            " const s = getComputedStyle(e);"
            " return [e.id || e.textContent.trim(), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; })()"
        )
        if focused is None:  # the first press may only bring the focus into the page
            continue
        reached.append(focused[0])
        assert focused[1], f"{focused[0]!r} has no visible focus outline"
    assert "login" in reached
    assert "password" in reached
    assert any(name in ("登录", "Log in") for name in reached)
