"""Shared browser fixtures: headless Chromium through Playwright's sync API against ``live_server``.

Browser tests are marked ``@pytest.mark.browser``. Without /usr/bin/chromium they
are skipped with the reason, unless ``REQUIRE_BROWSER=1`` (CI), when they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
# the tests and fixtures alongside it would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Reports every Content-Security-Policy violation on every page of the context to Python.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.tfCspViolation(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} at ${e.sourceFile || document.URL}:${e.lineNumber}`));
"""


@pytest.fixture
def csp_violations():
    """What the browser refused under the Content-Security-Policy during the test."""
    return []


@pytest.fixture
def browser_page(browser, csp_violations):
    """A fresh page in its own context (own cookies), closed after the test. A test during
    which the browser refused anything under the Content-Security-Policy fails."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    context.expose_function("tfCspViolation", lambda text: csp_violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    if not page.is_closed():
        page.evaluate("1")  # a round trip, so violations reported just now have arrived
    context.close()
    assert csp_violations == [], "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


def login(page, live_server, username: str, password: str) -> None:
    """Sign in through the real form and wait until the sign-in page has gone."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def logout(page) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
