"""The Content-Security-Policy in a real browser: the pages work under it, and the
browser-test fixture notices when the browser refuses something."""

import pytest

from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_govuk_frontend_and_htmx_run_under_the_policy(browser_page, live_server, make_user):
    from tests.conftest import PASSWORD

    make_user("key-worker")
    login(browser_page, live_server, "key_worker", PASSWORD)
    page = browser_page
    # the nonce'd inline script ran, GOV.UK Frontend's module initialised, htmx loaded without its <style>
    assert "js-enabled" in page.evaluate("document.body.className")
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.locator("style").count() == 0


def test_an_inline_script_is_refused_and_reported(browser_page, live_server, csp_violations):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
    }""")
    page.evaluate("1")
    assert page.evaluate("window.injected === undefined")
    assert len(csp_violations) == 1 and csp_violations[0].startswith("script-src-elem refused inline")
    csp_violations.clear()  # seen and expected: the fixture's own check passes


def test_the_admin_works_under_the_policy_after_the_second_factor(browser_page, live_server):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts.models import Role
    from tests.accounts.test_login_security import current_code
    from tests.conftest import PASSWORD

    root = get_user_model().objects.create_superuser(username="root", email="root@example.org", password=PASSWORD)
    device = TOTPDevice.objects.create(user=root, name="Authenticator app", confirmed=True)
    page = browser_page
    page.goto(f"{live_server.url}/admin/accounts/role/")
    page.wait_for_url(lambda url: "/accounts/login/" in url)  # the app's sign-in, not the admin's
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(lambda url: "/accounts/second-factor/" in url)
    page.fill("#id_token", current_code(device))
    page.click("button:has-text('Continue')")
    page.wait_for_url(lambda url: url.endswith("/admin/accounts/role/"))
    role = Role.objects.order_by("pk").first()
    page.goto(f"{live_server.url}/admin/accounts/role/{role.pk}/change/")
    # the admin's own scripts ran: the sections field became the two-box chooser
    page.wait_for_selector("#id_sections_from")
    page.goto(f"{live_server.url}/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert device.key not in page.content()
