"""Security headers on every page: Cache-Control no-store and a Content-Security-Policy with a nonce.

Generated from the URL configuration (``tests.accounts.test_permission_matrix.routed_urls``):
every URL a role may GET, as that role, plus the admin's pages from its registry as a
superuser with the second factor, plus the public pages. Each response must be
``no-store`` with ``Pragma: no-cache`` and carry the policy; an HTML response's policy
must have a nonce when it has inline scripts (every page on the base template does), and
every inline script in it must carry that nonce. No inline style
(``<style>`` or ``style=``) and no inline event handler (``onclick=``...) either: the
policy refuses them, so a page that had one would be broken in the browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.accounts.test_admin import (  # noqa: F401
    OBJECT_MAKERS,
    REGISTERED,
    admin_client,
    admin_url,
    device,
    superuser,
)
from tests.accounts.test_permission_matrix import allowed, objects, routed_urls  # noqa: F401
from tests.conftest import ROLE_SLUGS

pytestmark = pytest.mark.django_db

# Directive -> the sources it must be exactly.
REQUIRED_DIRECTIVES = {
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "style-src": ["'self'"],
}
# <script> types a browser runs: the rest (application/json from json_script) are data.
SCRIPT_TYPES = {"", "text/javascript", "module", "application/javascript"}


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


class InlineCode(HTMLParser):
    """Collects each inline script's nonce, and any inline style or event handler."""

    def __init__(self):
        super().__init__()
        self.script_nonces: list[str | None] = []
        self.inline_styles: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and (attributes.get("type") or "").lower() in SCRIPT_TYPES:
            self.script_nonces.append(attributes.get("nonce"))
        if tag == "style":
            self.inline_styles.append("<style>")
        if "style" in attributes:
            self.inline_styles.append(f"<{tag} style={attributes['style']!r}>")
        self.handlers += [f"<{tag} {name}=...>" for name in attributes if name.startswith("on")]


def header_problems(label: str, response) -> list[str]:
    problems = []
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    if "no-store" not in cache_control:
        problems.append(f"{label}: Cache-Control is {response.get('Cache-Control')!r}, want no-store")
    if response.get("Pragma") != "no-cache":
        problems.append(f"{label}: Pragma is {response.get('Pragma')!r}, want no-cache")
    directives = csp_directives(response)
    if not directives:
        return [*problems, f"{label}: no Content-Security-Policy"]
    for name, sources in REQUIRED_DIRECTIVES.items():
        if directives.get(name) != sources:
            problems.append(f"{label}: {name} is {directives.get(name)}, want {sources}")
    script_src = directives.get("script-src", [])
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"{label}: script-src allows {script_src}")
    if "text/html" not in response.get("Content-Type", "") or not response.content:
        return problems
    page = InlineCode()
    page.feed(response.content.decode())
    problems += [f"{label}: inline style {style}" for style in page.inline_styles]
    problems += [f"{label}: inline event handler {handler}" for handler in page.handlers]
    if not page.script_nonces:
        return problems  # nothing inline to allow: no nonce needed (the admin's pages, htmx fragments)
    nonces = [source[len("'nonce-"):-1] for source in script_src if source.startswith("'nonce-")]
    if len(nonces) != 1:
        return [*problems, f"{label}: inline scripts but script-src has no nonce ({script_src})"]
    if missing := [n for n in page.script_nonces if n != nonces[0]]:
        problems.append(f"{label}: {len(missing)} inline <script> without the response's nonce")
    return problems


@pytest.mark.parametrize("role_slug", [*ROLE_SLUGS, None])
def test_every_page_a_role_may_get_is_no_store_with_a_nonce_policy(objects, users, role_slug):
    client = Client()
    client.force_login(users[role_slug], backend="django.contrib.auth.backends.ModelBackend")
    problems, checked = [], 0
    for name, url, capability, public in routed_urls(objects):
        if public or not allowed(users, role_slug, name, capability):
            continue
        response = client.get(url)
        if response.status_code == 405:  # a POST-only action: its redirect is checked below
            continue
        checked += 1
        problems += header_problems(f"{name} {url} ({response.status_code})", response)
    assert checked > 0 or role_slug is None
    assert not problems, "\n".join(problems)


def test_search_results_fragments_and_the_api_are_no_store(objects, client_as):
    factories.family(reference="F000123")
    client = client_as("key-worker")
    query = {"q": "Jack Smith", "purpose": "Safeguarding enquiry"}
    responses = {
        "search results": client.get(reverse("caseview:search"), query),
        "search results fragment (htmx)": client.get(reverse("caseview:search"), query, HTTP_HX_REQUEST="true"),
        "api search": client.get(reverse("caseview_api:search"), query),
        "api person": client.get(reverse("caseview_api:person", kwargs={"pk": objects["person"].pk})),
        "api family": client.get(reverse("caseview_api:family", kwargs={"pk": objects["family"].pk})),
        "api refused": client.get(reverse("caseview_api:search")),
        "unseen person (404)": client.get(reverse("caseview:person", kwargs={"pk": objects["restricted_person"].pk})),
        "role switch (POST)": client.post(reverse("accounts:switch_role"), {"role": "key-worker"}),
    }
    assert b"SMITH, Jack" in responses["search results"].content and b'"Smith"' in responses["api search"].content
    problems = [p for label, response in responses.items() for p in header_problems(label, response)]
    assert not problems, "\n".join(problems)


def test_public_pages_carry_the_same_headers(db):
    client = Client()
    problems = header_problems("sign-in page", client.get(reverse("accounts:login")))
    problems += header_problems("healthz", client.get(reverse("healthz")))
    problems += header_problems("anonymous redirect", client.get(reverse("caseview:search")))
    assert not problems, "\n".join(problems)


def test_every_admin_page_is_no_store_with_a_nonce_policy(admin_client, superuser):
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["sources"])]
    for model in REGISTERED:
        obj = OBJECT_MAKERS[model._meta.label_lower](superuser)
        urls += [admin_url(model, "changelist"), admin_url(model, "change", obj.pk), admin_url(model, "history", obj.pk)]
    problems = []
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        problems += header_problems(url, response)
    assert not problems, "\n".join(problems)


def test_each_response_gets_a_fresh_nonce(client_as):
    client = client_as("key-worker")
    nonces = {re.search(r"'nonce-([^']+)'", client.get(reverse("caseview:search"))["Content-Security-Policy"]).group(1)
              for _ in range(3)}
    assert len(nonces) == 3


def test_the_check_finds_an_inline_script_without_the_nonce(client_as):
    """The checker itself: a page with a script the policy would refuse is reported."""
    response = client_as("key-worker").get(reverse("caseview:search"))
    response.content = response.content.replace(b"</body>", b"<script>alert(1)</script><p style='x'></p></body>")
    problems = header_problems("tampered", response)
    assert any("without the response's nonce" in p for p in problems)
    assert any("inline style" in p for p in problems)


def test_the_user_admin_add_page_too(admin_client):
    response = admin_client.get(admin_url(get_user_model(), "add"))
    assert response.status_code == 200
    assert not header_problems("user add", response)
