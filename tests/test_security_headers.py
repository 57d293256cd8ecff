"""The headers a security review expects, on every answer: a strict Content-Security-Policy (django-csp),
Referrer-Policy, Permissions-Policy, X-Frame-Options; the API docs page alone may show data: images. The
pages' templates keep within the policy: no inline script, style attribute or hx-on handler (they need eval)."""

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from flowpilot.env import env_proxy_ssl_header
from flowpilot.security_headers import permissions_policy_header

ROOT = Path(__file__).resolve().parent.parent
POLICY = (
    "default-src 'self'; connect-src 'self'; script-src 'self'; object-src 'none'; style-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize("name", ["login", "home", "api-schema"])
def test_every_answer_carries_the_security_headers(db, bob_web, name):
    response = bob_web.get(reverse(name))

    assert response.status_code == 200
    assert directives(response) == directives({"Content-Security-Policy": POLICY})
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_an_api_refusal_carries_them_too(db):
    response = Client().get(reverse("api-sessions"))

    assert response.status_code == 401
    assert directives(response)["script-src"] == "'self'"
    assert "microphone=()" in response["Permissions-Policy"]


def test_the_api_docs_alone_allow_data_images_and_load_their_script_from_themselves(db):
    client = Client()

    page = client.get(reverse("api-docs"))
    script = client.get(reverse("api-docs"), {"script": ""})

    assert directives(page) == {**directives({"Content-Security-Policy": POLICY}), "img-src": "'self' data:"}
    html = page.content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()
    assert directives(client.get(reverse("login")))["img-src"] == "'self'"


@pytest.mark.parametrize("template", sorted((ROOT / "web" / "templates").rglob("*.html")), ids=lambda path: path.name)
def test_no_template_needs_inline_script_style_or_eval(template):
    text = template.read_text()

    assert re.findall(r"<script(?![^>]*\bsrc=)", text) == [], "an inline <script>: move it to static/js"
    assert re.findall(r"\sstyle=", text) == [], "a style attribute: use a class in static/css"
    assert re.findall(r"\shx-on[:-]|\son[a-z]+=", text) == [], "an inline handler: a listener in static/js/app.js"
    assert re.findall(r"javascript:|\bjs:", text) == [], "eval'd script (a javascript: URL, hx-vals js:)"


def test_htmx_is_told_to_need_nothing_the_policy_forbids(db, bob_web):
    html = bob_web.get(reverse("home")).content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)

    assert config is not None
    assert json.loads(config.group(1)) == {
        "includeIndicatorStyles": False,  # its own <style> element
        "allowEval": False,  # hx-on, js: values, trigger filters
        "allowScriptTags": False,  # a <script> in a swapped fragment
        "attributesToSettle": ["class", "width", "height"],  # never a style attribute (a browser extension's)
    }


def test_the_proxy_ssl_header_is_read_as_header_name_and_value(monkeypatch):
    monkeypatch.setenv("PROXY_HEADER", "X-Forwarded-Proto: https")
    assert env_proxy_ssl_header("PROXY_HEADER", "") == ("HTTP_X_FORWARDED_PROTO", "https")
    monkeypatch.setenv("PROXY_HEADER", "")
    assert env_proxy_ssl_header("PROXY_HEADER", "X-Forwarded-Proto: https") is None
    monkeypatch.delenv("PROXY_HEADER")
    assert env_proxy_ssl_header("PROXY_HEADER", "X-Scheme: https") == ("HTTP_X_SCHEME", "https")
    for garbled in ("X-Forwarded-Proto", "X-Forwarded-Proto:", "X Forwarded: https", ": https"):
        monkeypatch.setenv("PROXY_HEADER", garbled)
        with pytest.raises(ImproperlyConfigured, match="must read 'Header-Name: value'"):
            env_proxy_ssl_header("PROXY_HEADER", "")


def test_the_permissions_policy_denies_each_feature_to_every_origin():
    assert permissions_policy_header({"camera": [], "fullscreen": ["self"]}) == "camera=(), fullscreen=(self)"
