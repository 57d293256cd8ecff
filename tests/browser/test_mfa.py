"""Two-factor sign-in in the browser, as a person does it: set up an authenticator app from the page (the code
computed from the key the page shows), sign in again with a code, then with a recovery code, which works once;
and an account that requires it sends a member to set it up at their next sign-in, before anything else."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from accounts.services import account_settings_update
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import signed_in
from tests.support.data import PASSWORD
from tests.support.mfa import key_of_secret, totp_code


def sessions_list(page):
    expect(page.get_by_role("heading", name="Sessions", level=1)).to_be_visible()


def password_step(page, user):
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def code_step(page, code: str):
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to FlowPilot")).to_be_visible()


def set_up_from_the_page(page) -> tuple[bytes, list[str]]:
    """Scan-free set-up: type the key shown into the "app" (compute its code), confirm, read the recovery codes."""
    expect(page.get_by_role("img", name="QR code to scan")).to_be_visible()
    key = key_of_secret(page.locator("code.secret").inner_text())
    page.get_by_label("Code", exact=True).fill(totp_code(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    return key, codes


def test_a_member_sets_it_up_then_signs_in_with_a_code_and_with_a_recovery_code_once(page, bob):
    signed_in(page, bob)
    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    assert_accessible(page, "two-factor set-up")

    key, codes = set_up_from_the_page(page)
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    sessions_list(page)
    sign_out(page)

    password_step(page, bob)
    assert_accessible(page, "the code step")
    code_step(page, totp_code(key, steps_ahead=1))
    sessions_list(page)
    page.get_by_role("link", name="Two-factor").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()
    assert page.locator("code.secret").count() == 0
    assert_accessible(page, "two-factor on")
    sign_out(page)

    password_step(page, bob)
    code_step(page, codes[0])
    sessions_list(page)
    expect(page.get_by_text(re.compile(r"You signed in with a recovery code; 9 left"))).to_be_visible()
    sign_out(page)

    password_step(page, bob)
    code_step(page, codes[0])
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


def test_an_account_that_requires_it_sends_a_member_to_set_it_up_before_anything_else(page, account_a, alice, bob):
    account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)

    password_step(page, bob)
    expect(page.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    expect(page.get_by_text("Your account requires a second factor: set it up to carry on.")).to_be_visible()
    page.get_by_role("link", name="FlowPilot").click()  # anywhere else: back here
    expect(page.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    assert page.url.endswith(reverse("mfa"))

    set_up_from_the_page(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    sessions_list(page)
