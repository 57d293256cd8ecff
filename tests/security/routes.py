"""Every URL pattern of `flowpilot.urls` in one table: the sample objects it names, the methods it
answers and who may call it. The security suite walks all of it (tests/security/test_url_access.py
also fails when a pattern is missing here); tests/web/test_web_access.py uses the web UI's part.

The sample objects are account A's (Acme's): `web_objects` gives the web UI's, the security suite adds
the rest. `request` sends each URL what would change something if it got through, and `snapshot`
holds all of Acme that a request could change."""

import json
import re
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Account, AccountSettings, Membership
from handoff.kinds import DraftKind
from handoff.models import Draft, DraftEdit, Handoff
from psa.models import PsaConnection
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix
from tests.conftest import PASSWORD

API, WEB, ADMIN = "api", "web", "admin"


@dataclass(frozen=True)
class Route:
    parts: tuple[str, ...] = ()  # the sample objects its URL names, in order
    methods: tuple[str, ...] = ("GET",)  # the methods it answers
    public_status: int | None = None  # a public URL: what anyone gets, signed in or not
    admin_only: tuple[str, ...] = ()  # the methods only an account admin may call (an engineer gets 403)


# The web UI (sessions/urls.py, handoff/urls.py)
WEB_ROUTES = {
    "home": Route(),
    "session-new": Route((), ("GET", "POST")),
    "workspace": Route(("session",)),
    "ticket-status": Route(("session",)),
    "session-edit": Route(("session",), ("POST",)),
    "fact-add": Route(("session",), ("POST",)),
    "fact-row": Route(("session", "fact")),
    "fact-edit": Route(("session", "fact"), ("GET", "POST")),
    "fact-delete": Route(("session", "fact"), ("POST",)),
    "check-add": Route(("session",), ("POST",)),
    "fix-set": Route(("session",), ("POST",)),
    "fix-outcome": Route(("session", "fix"), ("POST",)),
    "scripts": Route(("session",), ("GET", "POST")),
    "preview": Route(("session", "kind"), ("GET", "POST")),
    "draft-save": Route(("session", "kind"), ("POST",)),
    "draft-discard": Route(("session", "kind"), ("POST",)),
    "handoff-post": Route(("session", "kind"), ("POST",)),
    "handoff-status": Route(("handoff",)),
    "handoff-retry": Route(("handoff",), ("POST",)),
}

SIGN_IN_ROUTES = {
    "login": Route((), ("GET", "POST"), public_status=200),  # a POST without credentials shows the form's errors
    "logout": Route((), ("POST",), public_status=302),  # back to the sign-in page
}

API_ROUTES = {
    "api-token": Route((), ("POST",), public_status=200),  # trades a username and password for a token
    # The OpenAPI schema and its docs are public on purpose: they describe the API's shape (as the README
    # does), never an account's data, and a client needs them before it holds a token.
    "api-schema": Route(public_status=200),
    "api-docs": Route(public_status=200),
    "api-sessions": Route((), ("GET", "POST")),
    "api-session": Route(("session",), ("GET", "PATCH")),
    "api-facts": Route(("session",), ("GET", "POST")),
    "api-fact": Route(("session", "fact"), ("GET", "PATCH", "DELETE")),
    "api-checks": Route(("session",), ("GET", "POST")),
    "api-fixes": Route(("session",), ("GET", "POST")),
    "api-fix": Route(("session", "fix"), ("GET", "PATCH")),
    "api-script-generations": Route(("session",), ("GET", "POST")),
    "api-resolution-preview": Route(("session",), ("GET", "POST")),
    "api-resolution-post": Route(("session",), ("POST",)),
    "api-escalation-preview": Route(("session",), ("GET", "POST")),
    "api-escalation-post": Route(("session",), ("POST",)),
    "api-handoff": Route(("handoff",)),
    "api-handoff-retry": Route(("handoff",), ("POST",)),
    "api-script-templates": Route((), ("GET", "POST"), admin_only=("POST",)),
    "api-account-settings": Route((), ("GET", "PATCH"), admin_only=("GET", "PATCH")),
    "api-psa-connection": Route((), ("GET", "PUT"), admin_only=("GET", "PUT")),
    "api-psa-connection-test": Route((), ("POST",), admin_only=("POST",)),
}


CHANGELIST_MODELS: dict[str, str] = {}  # admin changelist URL name → the label of its model


def admin_routes() -> dict[str, Route]:
    """Django admin: the site's own pages, then each registered model's. A pattern without a name is
    listed by its route (the redirect from an object's id to its change page, the catch-all)."""
    routes = {
        "admin:index": Route(),
        "admin:login": Route((), ("GET", "POST"), public_status=200),
        "admin:logout": Route((), ("POST",)),
        "admin:password_change": Route((), ("GET", "POST")),
        "admin:password_change_done": Route(),
        "admin:autocomplete": Route(),
        "admin:jsi18n": Route(),
        "admin:view_on_site": Route(("content_type", "ai_sessions.session")),
        "admin:app_list": Route(("app_label",)),
        "admin/(?P<url>.*)$": Route(("admin_path",)),
        "admin:auth_user_password_change": Route(("auth.user",), ("GET", "POST")),
    }
    for model in admin.site._registry:
        opts = model._meta
        info, sample = f"admin:{opts.app_label}_{opts.model_name}", (opts.label_lower,)
        CHANGELIST_MODELS[f"{info}_changelist"] = opts.label_lower
        routes |= {
            f"{info}_changelist": Route((), ("GET", "POST")),
            f"{info}_add": Route((), ("GET", "POST")),
            f"{info}_change": Route(sample, ("GET", "POST")),
            f"{info}_delete": Route(sample, ("GET", "POST")),
            f"{info}_history": Route(sample),
            f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/": Route(sample),
        }
    return routes


ADMIN_ROUTES = admin_routes()
ROUTES = {**WEB_ROUTES, **SIGN_IN_ROUTES, **API_ROUTES, **ADMIN_ROUTES}


def surface(name: str) -> str:
    return API if name.startswith("api-") else ADMIN if name.startswith("admin") else WEB


def cases(names, methods_of=lambda methods: methods) -> list[tuple[str, str]]:
    """(name, method) for every method of these routes (or the ones `methods_of` picks from them)."""
    return [(name, method) for name in names for method in methods_of(ROUTES[name].methods)]


# What each request sends: enough that, if it got through, it would change something.
QUERY = {"scripts": {"template": "map-drive"}}
WEB_BODIES = {
    "session-new": {"title": "Injected session"},
    "session-edit": {"title": "Injected session"},
    "fact-add": {"text": "Injected fact", "source_type": "engineer"},
    "fact-edit": {"text": "Injected fact", "source_type": "engineer"},
    "check-add": {"name": "Injected check", "result": "passed"},
    "fix-set": {"title": "Injected fix", "confidence_pct": 50},
    "fix-outcome": {"outcome": "dismissed"},
    "scripts": {"template": "map-drive", "param-share": "x", "param-letter": "S", "param-password": "p"},
    "preview": {"force": "1"},
    "draft-save": {"markdown": "Injected text", "based_on_state_version": "1"},
    "handoff-post": {"markdown": "Injected text"},
}
INJECTED_POST = {"markdown": "Injected text"}
API_BODIES = {
    "api-session": {"title": "Hijacked"},
    "api-facts": {"text": "Injected"},
    "api-fact": {"text": "Injected"},
    "api-checks": {"name": "ping", "result": "passed"},
    "api-fixes": {"title": "Injected", "confidence_pct": 1},
    "api-fix": {"outcome": "dismissed"},
    "api-script-generations": {"template": "map-drive", "parameters": {"share": "s", "letter": "S", "password": "p"}},
    "api-token": {"username": "alice", "password": PASSWORD},
    "api-sessions": {"title": "Injected session"},
    "api-resolution-preview": {"force": True},
    "api-escalation-preview": {"force": True},
    "api-resolution-post": INJECTED_POST,
    "api-escalation-post": INJECTED_POST,
    "api-script-templates": {"name": "Injected", "slug": "injected", "language": "cmd", "body": "echo injected"},
    "api-account-settings": {"cw_resolved_status_id": 77},
    "api-psa-connection": {
        "site_url": "http://127.0.0.1:9",
        "company_id": "injected",
        "public_key": "injected-public",
        "private_key": "injected-private",
        "client_id": "injected-client",
    },
}
ADMIN_BODIES = {  # by the kind of admin page: a change, a delete confirmed, a bulk delete of the sample
    "change": {"title": "Injected", "name": "Injected", "text": "Injected", "company_id": "injected"},
    "delete": {"post": "yes"},
    "changelist": {"action": "delete_selected", "post": "yes"},
}


def url_of(name: str, objects: dict) -> str:
    values = [sample_value(objects[part]) for part in ROUTES[name].parts]
    if "/" in name:  # a pattern without a name: fill in its placeholders
        filled = iter(values)
        return "/" + re.sub(r"<[^>]+>|\(\?P<\w+>[^)]*\)\$", lambda _match: str(next(filled)), name)
    return reverse(name, args=values)


def sample_value(obj):
    return getattr(obj, "pk", obj)


def body_of(name: str, objects: dict) -> dict:
    if surface(name) == API:
        return API_BODIES.get(name, {})
    if surface(name) == ADMIN:
        page = name.rsplit("_", 1)[-1]
        body = dict(ADMIN_BODIES.get(page, {}))
        if page == "changelist" and CHANGELIST_MODELS[name] in objects:
            body["_selected_action"] = [sample_value(objects[CHANGELIST_MODELS[name]])]
        return body
    return WEB_BODIES.get(name, {})


def request(client, method: str, name: str, url: str, objects: dict | None = None, **extra):
    """`method` on `url` as its surface takes it: JSON for the API, form fields for pages."""
    if method == "GET":
        return client.get(url, QUERY.get(name), **extra)
    body = body_of(name, objects or {})
    if surface(name) == API:
        return client.generic(method, url, json.dumps(body), content_type="application/json", **extra)
    if method == "POST":
        return client.post(url, body, **extra)
    return client.generic(method, url, **extra)


def web_objects(*, session, fact, fix, user) -> dict:
    """Account A's session with a fact, a fix, an edited draft and a failed handoff."""
    kind = DraftKind.RESOLUTION_NOTE
    DraftEdit.objects.create(
        session=session, kind=kind, markdown="Bob's edit", based_on_state_version=1, updated_by=user
    )
    handoff = Handoff.objects.create(
        session=session,
        kind=kind,
        markdown="Bob's note",
        ticket_id=1001,
        state=Handoff.State.FAILED,
        error_code="psa_unavailable",
        error_message="ConnectWise is unavailable (HTTP 503)",
        created_by=user,
    )
    return {"session": session, "fact": fact, "fix": fix, "kind": kind, "handoff": handoff}


def snapshot(objects: dict) -> dict:
    """Everything of account A a request could have changed."""
    account = objects["session"].account
    in_sessions = {"session__account": account}
    users = get_user_model().objects.filter(membership__account=account)
    return {
        "account": list(Account.objects.filter(pk=account.pk).values()),
        "settings": list(AccountSettings.objects.filter(account=account).values("preferences")),
        "members": list(Membership.objects.filter(account=account).values()),
        "users": list(users.values()),
        "tokens": list(Token.objects.filter(user__in=users).values("key", "user")),
        "psa": list(PsaConnection.objects.filter(account=account).values()),
        "templates": list(ScriptTemplate.objects.filter(account=account).values()),
        "sessions": list(Session.objects.filter(account=account).values()),
        "facts": list(Fact.objects.filter(**in_sessions).values()),
        "checks": list(DiagnosticCheck.objects.filter(**in_sessions).values()),
        "fixes": list(SuggestedFix.objects.filter(**in_sessions).values()),
        "scripts": list(ScriptGeneration.objects.filter(**in_sessions).values()),
        "drafts": list(Draft.objects.filter(**in_sessions).values("id", "markdown")),
        "edits": list(DraftEdit.objects.filter(**in_sessions).values("kind", "markdown")),
        "handoffs": list(Handoff.objects.filter(**in_sessions).values("id", "state", "attempts", "markdown")),
    }
