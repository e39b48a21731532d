"""The public pages in a real browser against the real server: home, the verify page, and `/v/<id>`.

Verdicts are matched by their exact current wording in each language, so "Valid" can never pass for "Not valid".
The default visitor reads Chinese (the context's locale sends Accept-Language: zh-CN).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, FilePayload, Locator, Page, expect

from tests.web.browser import PHONE, assert_accessible, no_horizontal_scroll, snap
from tests.web.conftest import LiveServer

VALID = {"zh": "✔ 有效", "en": "✔ Valid"}
NOT_VALID = {"zh": "✘ 无效", "en": "✘ Not valid"}
VERIFY_BUTTON = re.compile(r"^(验证|Verify)$")


def open_page(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"GET {path} answered {response.status}"


def verdict(page: Page) -> Locator:
    # role=status is how a screen reader hears the verdict without moving focus.
    return page.get_by_role("status")


def check_at_phone_width(page: Page, name: str) -> None:
    page.set_viewport_size(PHONE)
    snap(page, name)
    no_horizontal_scroll(page)


def upload_and_verify(page: Page, files: str | FilePayload) -> None:
    open_page(page, "/verify")
    page.locator("input[type=file]").set_input_files(files)
    with page.expect_navigation():
        page.get_by_role("button", name=VERIFY_BUTTON).click()


def test_home_page_introduces_the_bank_and_links_onward(page: Page) -> None:
    open_page(page, "/")
    snap(page, "home")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).not_to_be_empty()
    expect(page.locator('main a[href="/verify"]')).to_be_visible()
    docs = page.locator('main a[href="/api/v1/docs"], main a[href="/api/docs"]').first
    expect(docs).to_be_visible()

    docs.click()
    expect(page).to_have_url(re.compile(r"/api(/v1)?/docs$"))
    expect(page.locator("h1").first).to_be_visible()
    snap(page, "api-docs")


def test_home_page_has_no_serious_accessibility_violations(page: Page) -> None:
    open_page(page, "/")
    assert_accessible(page)


def test_home_page_fits_a_phone(page: Page) -> None:
    open_page(page, "/")
    check_at_phone_width(page, "home-375")


def test_verify_page_form_fields_are_labelled(page: Page) -> None:
    open_page(page, "/verify")
    snap(page, "verify-form")
    expect(page.locator("h1")).to_have_count(1)
    controls = page.locator("main form :is(input:not([type=hidden]):not([type=submit]), textarea, select)")
    expect(controls.first).to_be_attached()
    unlabelled = controls.evaluate_all(
        """els => els.filter(el => !(el.labels && [...el.labels].some(l => l.textContent.trim()))
                                   && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
                    .map(el => el.outerHTML)"""
    )
    assert unlabelled == [], f"form fields without a label: {unlabelled}"
    expect(page.locator("main input[type=file]")).to_have_count(1)
    expect(page.get_by_role("button", name=VERIFY_BUTTON)).to_be_visible()


def test_verify_page_has_no_serious_accessibility_violations(page: Page) -> None:
    open_page(page, "/verify")
    assert_accessible(page)


def test_verify_page_fits_a_phone(page: Page) -> None:
    open_page(page, "/verify")
    check_at_phone_width(page, "verify-form-375")


def test_uploading_json_that_is_not_a_credential_is_not_valid(page: Page) -> None:
    upload_and_verify(page, {"name": "not-a-credential.json", "mimeType": "application/json", "buffer": b'{"a": 1}'})
    snap(page, "verify-not-a-credential")
    expect(verdict(page)).to_have_text(NOT_VALID["zh"])


def test_uploading_the_issued_certificate_pdf_is_valid(page: Page, live_server: LiveServer) -> None:
    upload_and_verify(page, str(live_server.certificate_pdf))
    snap(page, "verify-valid-certificate")
    expect(verdict(page)).to_have_text(VALID["zh"])
    expect(page.locator("main table").get_by_text("未通过")).to_have_count(0)


@pytest.mark.parametrize("width", [1280, PHONE["width"]])
def test_verdict_page_has_no_serious_accessibility_violations(page: Page, live_server: LiveServer, width: int) -> None:
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    upload_and_verify(page, str(live_server.certificate_pdf))
    snap(page, f"verify-verdict-{width}")
    expect(verdict(page)).to_have_text(VALID["zh"])
    assert_accessible(page)


def test_credential_page_from_the_qr_code_shows_it_valid(
    fresh_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    # Whoever scans the certificate's QR code: on a phone, a stranger to the bank, perhaps reading English.
    phone = fresh_context(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    open_page(phone, f"/v/{live_server.credential_id}")
    snap(phone, "credential-page-phone-en")
    expect(verdict(phone)).to_have_text(VALID["en"])
    expect(phone.locator("h1")).not_to_be_empty()
    expect(phone.get_by_text(live_server.credential_id)).to_be_visible()
    no_horizontal_scroll(phone)


def test_credential_page_for_an_unknown_id_says_not_found(page: Page) -> None:
    open_page(page, "/v/urn:uuid:00000000-0000-4000-8000-000000000000", status=404)
    snap(page, "credential-not-found")
    expect(page.get_by_role("alert")).to_contain_text("没有找到")
    expect(verdict(page)).to_have_count(0)


@pytest.mark.parametrize(
    ("name", "born", "holder"),
    [("陳秀英", "1952年10月3日", "✔ 姓名和出生日期与证书持有人一致。"), ("陈秀兰", "1952-10-03", "✘ 与您输入的不一致")],
)
def test_the_verdict_page_shows_what_the_certificate_says_and_the_holder_apart(
    page: Page, live_server: LiveServer, name: str, born: str, holder: str
) -> None:
    # The demo's showcase learner is 陈秀英, born 3 October 1952: typed in traditional characters and a Chinese date
    # she matches; another name is told apart from the verdict, which stays valid.
    open_page(page, "/verify")
    page.locator("input[type=file]").set_input_files(str(live_server.certificate_pdf))
    page.get_by_label(re.compile("姓名")).fill(name)
    page.get_by_label(re.compile("出生日期")).fill(born)
    with page.expect_navigation():
        page.get_by_role("button", name=VERIFY_BUTTON).click()
    expect(verdict(page)).to_have_text(VALID["zh"])
    expect(page.locator("#identity-result")).to_contain_text(holder)
    summary = page.locator("#summary")
    expect(summary).to_contain_text("证书上写的内容")
    expect(summary).to_contain_text(live_server.credential_id)
    expect(summary.locator(".ledger-seq")).to_contain_text(re.compile(r"第 \d+ 条"))
