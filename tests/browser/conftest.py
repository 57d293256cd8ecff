"""Real-browser tests: Debian's chromium (/usr/bin/chromium, never a downloaded browser) driven by
Playwright against pytest-django's `live_server`.

- `browser`: one headless chromium per test process; skipped locally, failed under CI, when it is missing.
- `page`: a fresh context (cookies, storage) per test at 1366x900. Every JavaScript error the page logs,
  and every uncaught exception, fails the test: nothing is ignored.
- `shot(name)`: a full-page screenshot of the current step, kept in `$FLOWPILOT_SCREENSHOTS/<test>/`
  when that variable is set, else in the test's `tmp_path` (pytest keeps the last three runs).
- `signed_in(page, user)`: signs in through the real sign-in form.
"""

import contextlib
import os
import re
from pathlib import Path

# Playwright's sync API runs an asyncio event loop in the test thread (for as long as the session-scoped
# browser lives), so Django's ORM, called from that thread by fixtures and assertions, would raise
# SynchronousOnlyOperation. Nothing here runs async code against the ORM: the loop only drives the
# browser, and the live server answers in threads of its own. Set before any fixture touches the ORM; it is
# process-wide, so other test files run by the same pytest process (or xdist worker) run with Django's
# async-safety check off too, which they never rely on.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from tests.reliability.conftest import _shared_worker, shared_celery_worker  # noqa: F401 — for test_worker_flow
from tests.support.browser import TIMEOUT_MS
from tests.support.ci import skip_locally_fail_in_ci

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so `page` can take a screenshot of a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_locally_fail_in_ci(
            "Browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium "
            "chromium-driver (or run .ci/run, which installs it)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot_dir(request, tmp_path) -> Path:
    root = os.environ.get("FLOWPILOT_SCREENSHOTS")
    directory = Path(root) / re.sub(r"[^\w.-]+", "_", request.node.name) if root else tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def page(browser, live_server, request, screenshot_dir):
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message):
        if message.type in ("error", "assert"):
            where = message.location
            errors.append(f"console.error: {message.text} ({where.get('url')}:{where.get('lineNumber')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught exception: {error}"))
    yield page

    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        with contextlib.suppress(PlaywrightError):  # a crashed page must not hide the test's own failure
            page.screenshot(path=screenshot_dir / "failure.png", full_page=True)
    context.close()
    if errors:
        pytest.fail(
            f"The page logged {len(errors)} JavaScript error(s):\n" + "\n".join(errors) + f"\n(screenshots: "
            f"{screenshot_dir})",
            pytrace=False,
        )


@pytest.fixture
def shot(page, screenshot_dir):
    """`shot("step-name")` saves a numbered full-page screenshot of the current step."""
    taken = []

    def take(name: str) -> Path:
        taken.append(name)
        path = screenshot_dir / f"{len(taken):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


# Helpers of the flows: the workspace, its regions, and waiting for htmx
