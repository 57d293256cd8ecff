"""Every screen works under the strict Content-Security-Policy (script-src 'self', no inline script, style or
eval): the browser reports no violation on any of them — the engineer's pages, a failed post's toast and its
Retry, Django admin, and the API docs — and each page arrives with the policy in force."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from sessions import services
from tests.support.browser import click_and_settle, open_preview, region, settled, signed_in
from tests.support.data import PASSWORD

# Runs in every document before its own scripts: keeps each violation the browser reports, with where.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "an inline one"} ` +
    `(${event.sourceFile || document.location.pathname}:${event.lineNumber}) ${event.sample}`
  );
}, true);
"""
# Violation events are queued as tasks: let those already queued run before reading them.
DRAIN = "() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)))"
# What a password manager (or Playwright's own screenshot) does to fields: style them through the CSSOM, which
# leaves style attributes behind. htmx must not copy those onto the fields it swaps in: that would be
# setAttribute("style"), an inline style the policy refuses.
STYLE_FIELDS = """() => document.querySelectorAll("input, textarea, select").forEach((field) => {
  field.style.caretColor = "transparent";
  field.style.caretColor = "";
})"""


class CspWatch:
    """What the browser said about the policy: violation events, read screen by screen, and console messages that
    mention it (these also catch a violation in a document left before it was read)."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.violations: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"console.{message.type}: {message.text}")

    def goto(self, url: str, screen: str):
        response = self.page.goto(url)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, f"{screen}: no CSP ({policy!r})"
        self.seen(screen)

    def seen(self, screen: str):
        """Collect what this document reported so far (before a navigation replaces it); then style its fields
        as a password manager would, for the swaps that follow."""
        settled(self.page)
        self.page.evaluate(DRAIN)
        self.violations += [f"{screen}: {line}" for line in self.page.evaluate("window.__cspViolations.splice(0)")]
        self.page.evaluate(STYLE_FIELDS)

    def assert_clean(self):
        assert self.violations == [], "\n".join(self.violations)
        assert self.console == [], "\n".join(self.console)


@pytest.fixture
def watch(page):
    return CspWatch(page)


def test_the_engineers_screens_report_no_csp_violation(watch, page, bob, session_a, simulator, psa_connected):
    services.fact_add(session=session_a, user=bob, text="Only Outlook desktop prompts; OWA works.")
    services.fix_set(session=session_a, user=bob, title="Clear the cached credentials", confidence_pct=85)

    watch.goto(reverse("login"), "sign in")
    signed_in(page, bob)
    watch.seen("sessions list")
    page.get_by_role("searchbox").fill("Outlook")  # the list filters as you type (htmx, delayed trigger)
    expect(page).to_have_url(re.compile(r"q=Outlook"))
    watch.seen("sessions list, filtered")
    watch.goto(reverse("session-new"), "new session")

    watch.goto(reverse("workspace", args=[session_a.pk]), "workspace")
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_text("Customer-visible", exact=True)).to_be_visible()
    watch.seen("preview open")
    click_and_settle(page, wrap_up.get_by_role("link", name="Edit", exact=True))
    wrap_up.get_by_label("Text to post (Markdown)").fill("Cleared the cached Office credentials; Outlook signs in.")
    expect(wrap_up.get_by_text(re.compile(r"^Edits saved at"))).to_be_visible()
    watch.seen("editor open, autosaved")

    simulator.set_faults(silent_status_rejection=True)
    wrap_up.get_by_label("Resolve anyway: I have checked the problem is fixed").check()
    click_and_settle(page, wrap_up.get_by_role("button", name="Confirm & post to #1001"))
    toast = page.locator("#toasts").get_by_role("alert")
    expect(toast).to_be_visible()
    watch.seen("failed post toast")

    # The toast's Retry takes the toast away once answered (a data- attribute app.js reads, not hx-on).
    simulator.set_faults()
    click_and_settle(page, toast.get_by_role("button", name=re.compile(r"^Retry")))
    expect(region(page, "Outcome").get_by_role("heading", name="Resolved (posted to the PSA)")).to_be_visible()
    expect(page.locator("#toasts").get_by_role("alert")).to_have_count(0)
    watch.seen("retried from the toast")

    watch.assert_clean()


def test_django_admin_and_the_api_docs_report_no_csp_violation(watch, page, bob, session_a, template_a):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)

    watch.goto(reverse("admin:login"), "admin sign in")
    page.get_by_label("Username").fill(superuser.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    watch.seen("admin index")
    for name, url in (
        ("a session's change form (inlines)", reverse("admin:ai_sessions_session_change", args=[session_a.pk])),
        ("a user's change form (filter widgets)", reverse("admin:auth_user_change", args=[bob.pk])),
        ("a template's add form (prepopulated slug)", reverse("admin:ai_sessions_scripttemplate_add")),
    ):
        watch.goto(url, name)
        expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.get_by_label("Name:").press_sequentially(
        "Reset a printer queue"
    )  # the slug is filled in as you type (prepopulate.js)
    expect(page.get_by_label("Slug:")).to_have_value("reset-a-printer-queue")
    watch.seen("prepopulated slug typed")

    watch.goto(reverse("api-docs"), "API docs")
    expect(page.get_by_role("heading", name=re.compile(r"^FlowPilot API"))).to_be_visible()
    page.locator("#operations-auth-auth_token_create").get_by_role("button").first.click()  # an operation opens
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    watch.seen("API docs, an operation open")

    watch.assert_clean()


def test_the_account_screens_report_no_csp_violation(watch, page, alice, bob):
    signed_in(page, alice)
    watch.seen("sessions list, as an admin")
    for name, heading in (
        ("people", "People of Acme MSP"),
        ("audit", "Audit trail of Acme MSP"),
        ("mfa", "Two-factor sign-in"),  # enrolment: its QR code is inline SVG markup, not a data: image
    ):
        watch.goto(reverse(name), heading)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to FlowPilot")).to_be_visible()
    watch.seen("signed out, back at sign in")

    watch.assert_clean()
