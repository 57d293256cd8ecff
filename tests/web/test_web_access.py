"""Each web URL (the table is tests/security/routes.py): account scoping of ids nested under one's own
session, allowed methods, CSRF on every POST, and the accessibility of the workspace's forms. Sign-in and
another account's ids on every URL of the app: tests/security/test_url_access.py."""

import json

import pytest
from django.urls import reverse

from drafting.kinds import DraftKind
from handoff.models import Handoff
from sessions import services
from sessions.models import DiagnosticCheck, Fact, Session
from tests.security.routes import WEB_ROUTES, cases, request, snapshot, url_of, web_objects
from tests.support.clients import web_client_for
from tests.support.html import Elements, hx_get, hx_post, oob_toasts, region, text

R = DraftKind.RESOLUTION_NOTE
POST_ROUTES = [name for name, route in WEB_ROUTES.items() if "POST" in route.methods]


@pytest.fixture
def objects(session_a, fact_a, fix_a, template_a, bob):
    """Account A's session with a fact, a fix, a template, an edited draft and a failed handoff."""
    return web_objects(session=session_a, fact=fact_a, fix=fix_a, user=bob)


# Account scoping


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("fact-row", "GET"),
        ("fact-edit", "GET"),
        ("fact-edit", "POST"),
        ("fact-delete", "POST"),
        ("fact-restore", "POST"),
        ("check-row", "GET"),
        ("check-edit", "GET"),
        ("check-edit", "POST"),
        ("check-delete", "POST"),
        ("check-restore", "POST"),
        ("fix-outcome", "POST"),
    ],
)
def test_another_accounts_ids_under_ones_own_session_are_404s(charlie_web, objects, session_b, name, method):
    url = url_of(name, {**objects, "session": session_b})  # charlie's session, bob's fact, check or fix
    before = snapshot(objects)

    response = request(charlie_web, method, name, url, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert snapshot(objects) == before


def test_the_list_and_a_new_session_stay_inside_ones_own_account(charlie_web, objects, account_b):
    assert "Outlook" not in text(charlie_web.get(reverse("home"), {"scope": "all", "status": ""}))

    charlie_web.post(reverse("session-new"), {"title": "Globex printer"})

    assert Session.objects.get(title="Globex printer").account == account_b


# Methods


def wrong_methods(methods):
    return ["DELETE"] if "POST" in methods and "GET" in methods else ["POST"] if "GET" in methods else ["GET", "PUT"]


@pytest.mark.parametrize(("name", "method"), cases(WEB_ROUTES, wrong_methods))
def test_a_method_the_url_does_not_take_is_405(bob_web, objects, name, method):
    before = snapshot(objects)

    response = request(bob_web, method, name, url_of(name, objects))

    assert response.status_code == 405
    assert snapshot(objects) == before


# CSRF


@pytest.fixture
def bob_csrf(bob):
    return web_client_for(bob, enforce_csrf_checks=True)


@pytest.mark.parametrize("name", POST_ROUTES)
def test_a_post_without_a_csrf_token_is_refused(bob_csrf, objects, name):
    before = snapshot(objects)

    response = request(bob_csrf, "POST", name, url_of(name, objects), HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert snapshot(objects) == before


def test_an_htmx_post_with_the_token_from_the_cookie_in_the_header_succeeds(bob_csrf, session_a):
    bob_csrf.get(reverse("workspace", args=[session_a.pk]))
    token = bob_csrf.cookies["csrftoken"].value

    response = hx_post(
        bob_csrf,
        reverse("fact-add", args=[session_a.pk]),
        {"text": "Sent with the token", "source_type": "engineer"},
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200
    assert "Sent with the token" in text(response)
    assert Fact.objects.filter(session=session_a, text="Sent with the token").exists()


def test_the_page_puts_the_token_on_body_for_htmx_and_it_is_accepted(bob_csrf, session_a):
    html = text(bob_csrf.get(reverse("workspace", args=[session_a.pk])))
    body = next(attributes for attributes in Elements(html).all("body"))
    headers = json.loads(body["hx-headers"])
    assert headers["X-CSRFToken"]

    response = hx_post(
        bob_csrf,
        reverse("check-add", args=[session_a.pk]),
        {"name": "Ping", "result": "passed"},
        HTTP_X_CSRFTOKEN=headers["X-CSRFToken"],
    )

    assert response.status_code == 200
    assert DiagnosticCheck.objects.filter(session=session_a, name="Ping").exists()


def test_a_plain_form_post_with_the_token_from_the_page_succeeds(bob_csrf, session_a):
    html = text(bob_csrf.get(reverse("workspace", args=[session_a.pk])))
    form = next(form for form in Elements(html).post_forms if form["action"].endswith("/facts/"))
    token = next(attrs["value"] for tag, attrs in form["_fields"] if attrs.get("name") == "csrfmiddlewaretoken")

    response = bob_csrf.post(form["action"], {"csrfmiddlewaretoken": token, "text": "Typed", "source_type": "engineer"})

    assert response.status_code == 302
    assert Fact.objects.filter(session=session_a, text="Typed").exists()


# The workspace's HTML


@pytest.fixture
def full_pages(bob_web, objects, bob):
    """The workspace with every form it can show: a chosen template, the panel as text and in the editor,
    a fact being edited, a recorded check and a failed handoff's Retry."""
    session = objects["session"]
    services.check_record(session=session, name="Ping", result="passed")
    hx_post(bob_web, reverse("preview", args=[session.pk, R]))
    base = reverse("workspace", args=[session.pk])
    queries = [
        "?template=map-drive&preview=resolution-note",
        f"?preview=resolution-note&mode=edit&edit_fact={objects['fact'].pk}",
        "?preview=escalation-package",
    ]
    pages = [text(bob_web.get(base + query)) for query in queries]
    assert "Generate script" in pages[0] and "Retry" in pages[0]
    assert 'id="draft-markdown"' in pages[1] and "Save fact" in pages[1]
    return pages


def test_every_post_form_of_the_workspace_carries_a_csrf_token(full_pages):
    for html in full_pages:
        forms = Elements(html).post_forms
        assert len(forms) >= 8
        for form in forms:
            names = [attrs.get("name") for tag, attrs in form["_fields"]]
            assert "csrfmiddlewaretoken" in names, form.get("action")


def test_the_body_carries_the_csrf_token_for_every_htmx_request(full_pages):
    for html in full_pages:
        body = Elements(html).all("body")[0]
        assert json.loads(body["hx-headers"])["X-CSRFToken"]


def test_every_field_of_the_workspace_has_a_label(full_pages):
    for html in full_pages:
        elements = Elements(html)
        labelled = {attrs.get("for") for attrs in elements.all("label")}
        fields = [
            attrs
            for attrs in elements.all("input", "select", "textarea")
            if attrs.get("type") != "hidden" and attrs.get("name") != "csrfmiddlewaretoken"
        ]
        assert len(fields) >= 10
        for field in fields:
            assert field.get("id"), f"{field.get('name')} has no id"
            assert field["id"] in labelled, f"#{field['id']} has no <label for>"


def test_ids_on_the_workspace_are_unique_and_aria_references_resolve(full_pages):
    for html in full_pages:
        elements = Elements(html)
        ids = [attrs["id"] for tag, attrs, _form in elements.tags if attrs.get("id")]
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
        for tag, attrs, _form in elements.tags:
            for aria in ("aria-labelledby", "aria-describedby"):
                for reference in (attrs.get(aria) or "").split():
                    assert reference in ids, f"<{tag} {aria}={reference}> names no element"


# A closed session


@pytest.fixture
def closed(objects):
    session = objects["session"]
    Session.objects.filter(pk=session.pk).update(
        status=Session.Status.RESOLVED, closed_as=Session.ClosedAs.RESOLVED_LOCAL
    )
    return objects


def test_a_closed_session_shows_no_write_forms(bob_web, closed):
    html = text(
        bob_web.get(reverse("workspace", args=[closed["session"].pk]) + "?template=map-drive&preview=resolution-note")
    )

    assert '<span class="status status-resolved">Resolved locally</span>' in html
    assert '<h2 id="wrap-h">Outcome</h2>' in html
    assert [form["action"] for form in Elements(html).post_forms] == [reverse("logout")]
    assert "hx-post" not in html
    assert "Modern auth is enabled on the tenant." in html  # still readable


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_fact_added_to_a_closed_session_is_refused_without_a_server_error(bob, closed, htmx):
    client = web_client_for(bob, raise_request_exception=False)

    response = request(
        client,
        "POST",
        "fact-add",
        reverse("fact-add", args=[closed["session"].pk]),
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )

    assert response.status_code in (200, 400)
    assert not Fact.objects.filter(text="Injected fact").exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_fact_added_to_a_closed_session_is_answered_with_the_closed_session_message(bob_web, closed, htmx):
    url = reverse("fact-add", args=[closed["session"].pk])

    response = request(bob_web, "POST", "fact-add", url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))

    assert "This session is closed: Resolved locally. It can no longer change." in text(response)


@pytest.mark.parametrize(
    "name",
    ["session-edit", "check-add", "check-edit", "check-delete", "fact-delete", "fix-set", "fix-outcome", "scripts"],
)
def test_other_writes_to_a_closed_session_are_answered_with_the_closed_session_message(bob_web, closed, name):
    response = request(bob_web, "POST", name, url_of(name, closed), HTTP_HX_REQUEST="true")

    assert "It can no longer change" in text(response)


def test_editing_a_fact_of_a_closed_session_is_refused_in_words(bob_web, closed):
    response = request(bob_web, "POST", "fact-edit", url_of("fact-edit", closed), HTTP_HX_REQUEST="true")

    assert "This session is closed: Resolved locally. It can no longer change." in text(response)
    assert not Fact.objects.filter(text="Injected fact").exists()


def test_a_closed_session_never_opens_the_fact_editor(bob_web, closed):
    fact = closed["fact"]
    page = text(bob_web.get(reverse("workspace", args=[closed["session"].pk]) + f"?edit_fact={fact.pk}"))
    editor = text(hx_get(bob_web, url_of("fact-edit", closed)))

    assert "Save fact" not in page
    assert "Save fact" not in editor


@pytest.mark.parametrize("name", ["draft-save", "draft-discard"])
def test_saving_or_discarding_a_draft_of_a_closed_session_is_refused_without_a_server_error(bob, closed, name):
    client = web_client_for(bob, raise_request_exception=False)

    response = request(client, "POST", name, url_of(name, closed), HTTP_HX_REQUEST="true")

    assert response.status_code != 500
    assert "It can no longer change" in text(response)


def test_previewing_or_posting_for_a_closed_session_is_refused_in_words(bob_web, closed):
    for name in ("preview", "handoff-post"):
        response = request(bob_web, "POST", name, url_of(name, closed), HTTP_HX_REQUEST="true")

        assert response["HX-Retarget"] == "#wrap-up"
        assert "This session is closed: Resolved locally. It can no longer change." in oob_toasts(response)
        assert '<h2 id="wrap-h">Outcome</h2>' in region(text(response), "wrap-up")
        assert "Preview resolve note" not in text(response)
    assert Handoff.objects.filter(session=closed["session"]).count() == 1
