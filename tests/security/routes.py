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

from accounts.models import Account, AccountSettings, AuditEvent, Invite, Membership
from assistant.models import Message, Proposal
from drafting.kinds import DraftKind
from drafting.models import Draft, DraftEdit
from handoff.models import Handoff
from psa.models import PsaConnection
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix
from tests.support.data import PASSWORD

API, WEB, ADMIN = "api", "web", "admin"


@dataclass(frozen=True)
class Route:
    parts: tuple[str, ...] = ()  # the sample objects its URL names, in order
    methods: tuple[str, ...] = ("GET",)  # the methods it answers
    public_status: int | None = None  # a public URL: what anyone gets, signed in or not
    public_methods: tuple[str, ...] | None = None  # the methods public_status is for (None: all of them)
    admin_only: tuple[str, ...] = ()  # the methods only an account admin may call (an engineer gets 403)


# The web UI (sessions/urls.py, handoff/urls.py)
WEB_ROUTES = {
    "home": Route(),
    "session-new": Route((), ("GET", "POST")),
    "workspace": Route(("session",)),
    "ticket-status": Route(("session",)),
    "ticket-context": Route(("session",)),
    "ticket-note-fact": Route(("session",), ("POST",)),
    "session-edit": Route(("session",), ("POST",)),
    "fact-add": Route(("session",), ("POST",)),
    "fact-row": Route(("session", "fact")),
    "fact-edit": Route(("session", "fact"), ("GET", "POST")),
    "fact-delete": Route(("session", "fact"), ("POST",)),
    "fact-restore": Route(("session", "fact"), ("POST",)),
    "check-add": Route(("session",), ("POST",)),
    "check-row": Route(("session", "check")),
    "check-edit": Route(("session", "check"), ("GET", "POST")),
    "check-delete": Route(("session", "check"), ("POST",)),
    "check-restore": Route(("session", "check"), ("POST",)),
    "fix-set": Route(("session",), ("POST",)),
    "fix-outcome": Route(("session", "fix"), ("POST",)),
    "scripts": Route(("session",), ("GET", "POST")),
    "wrap-up-prepare": Route(("session",), ("POST",)),
    "preview": Route(("session", "kind"), ("GET", "POST")),
    "draft-save": Route(("session", "kind"), ("POST",)),
    "draft-discard": Route(("session", "kind"), ("POST",)),
    "handoff-post": Route(("session", "kind"), ("POST",)),
    "assistant-send": Route(("session",), ("POST",)),
    "assistant-message": Route(("session", "message")),
    "assistant-retry": Route(("session", "message"), ("POST",)),
    "proposal-accept": Route(("session", "proposal"), ("POST",)),
    "proposal-dismiss": Route(("session", "proposal"), ("POST",)),
    "fact-promote": Route(("session",), ("POST",)),
    "handoff-status": Route(("handoff",)),
    "handoff-retry": Route(("handoff",), ("POST",)),
    # The account pages: admins only (an engineer gets a 403 page); the invite page is public, and a link that
    # cannot be used (here: one that never existed) is a 404 page
    "people": Route((), ("GET", "POST")),
    "person-update": Route(("member",), ("POST",)),
    "person-invite": Route(("member",), ("POST",)),
    "audit": Route(),
    "invite-accept": Route(("invite_token",), ("GET", "POST"), public_status=404),
}

SIGN_IN_ROUTES = {
    "login": Route((), ("GET", "POST"), public_status=200),  # a POST without credentials shows the form's errors
    "logout": Route((), ("POST",), public_status=302),  # back to the sign-in page
    "login-code": Route((), ("GET", "POST"), public_status=302),  # no password given yet: back to the sign-in page
    "mfa": Route(),
    "mfa-confirm": Route((), ("POST",)),
    "mfa-disable": Route((), ("POST",)),
}

API_ROUTES = {
    # POST trades a username and password for a token; DELETE revokes the caller's own
    "api-token": Route((), ("POST", "DELETE"), public_status=200, public_methods=("POST",)),
    "api-tokens": Route(),
    # The OpenAPI schema and its docs are public on purpose: they describe the API's shape (as the README
    # does), never an account's data, and a client needs them before it holds a token.
    "api-schema": Route(public_status=200),
    "api-docs": Route(public_status=200),
    "api-sessions": Route((), ("GET", "POST")),
    "api-session": Route(("session",), ("GET", "PATCH")),
    "api-facts": Route(("session",), ("GET", "POST")),
    "api-fact": Route(("session", "fact"), ("GET", "PATCH", "DELETE")),
    "api-checks": Route(("session",), ("GET", "POST")),
    "api-check": Route(("session", "check"), ("GET", "PATCH", "DELETE")),
    "api-fixes": Route(("session",), ("GET", "POST")),
    "api-fix": Route(("session", "fix"), ("GET", "PATCH")),
    "api-script-generations": Route(("session",), ("GET", "POST")),
    "api-resolution-preview": Route(("session",), ("GET", "POST")),
    "api-resolution-post": Route(("session",), ("POST",)),
    "api-resolution-preview-stream": Route(("session",)),
    "api-escalation-preview-stream": Route(("session",)),
    "api-escalation-preview": Route(("session",), ("GET", "POST")),
    "api-escalation-post": Route(("session",), ("POST",)),
    "api-messages": Route(("session",), ("GET", "POST")),
    "api-message": Route(("session", "message")),
    "api-message-stream": Route(("session", "message")),
    "api-message-retry": Route(("session", "message"), ("POST",)),
    "api-proposal-accept": Route(("session", "proposal"), ("POST",)),
    "api-proposal-dismiss": Route(("session", "proposal"), ("POST",)),
    "api-fact-promote": Route(("session",), ("POST",)),
    "api-handoff": Route(("handoff",)),
    "api-handoff-retry": Route(("handoff",), ("POST",)),
    "api-handoff-events": Route(("handoff",)),
    "api-script-templates": Route((), ("GET", "POST"), admin_only=("POST",)),
    "api-account-settings": Route((), ("GET", "PATCH"), admin_only=("GET", "PATCH")),
    "api-psa-connection": Route((), ("GET", "PUT"), admin_only=("GET", "PUT")),
    "api-psa-connection-test": Route((), ("POST",), admin_only=("POST",)),
    "api-members": Route((), ("GET", "POST"), admin_only=("GET", "POST")),
    "api-member": Route(("member",), ("PATCH",), admin_only=("PATCH",)),
    "api-audit": Route(admin_only=("GET",)),
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
    "ticket-note-fact": {"note": "1"},
    "fact-edit": {"text": "Injected fact", "source_type": "engineer"},
    "check-add": {"name": "Injected check", "result": "passed"},
    "check-edit": {"name": "Injected check", "result": "failed"},
    "fix-set": {"title": "Injected fix", "confidence_pct": 50},
    "fix-outcome": {"outcome": "dismissed"},
    "scripts": {"template": "map-drive", "param-share": "x", "param-letter": "S", "param-password": "p"},
    "preview": {"force": "1"},
    "assistant-send": {"text": "Injected message"},
    "proposal-accept": {"text": "Injected fact"},
    "fact-promote": {"text": "Injected fact"},
    "draft-save": {"markdown": "Injected text", "based_on_state_version": "1"},
    "handoff-post": {"markdown": "Injected text"},
    "login-code": {"code": "123456"},
    "mfa-confirm": {"code": "123456"},
    "mfa-disable": {"code": "123456"},
    "people": {"username": "injected", "role": "admin", "password": PASSWORD},
    "person-update": {"is_active": "false"},
    "invite-accept": {"password": PASSWORD, "password_again": PASSWORD},
}
INJECTED_POST = {"markdown": "Injected text"}
API_BODIES = {
    "api-session": {"title": "Hijacked"},
    "api-facts": {"text": "Injected"},
    "api-fact": {"text": "Injected"},
    "api-checks": {"name": "ping", "result": "passed"},
    "api-check": {"name": "Injected", "result": "failed"},
    "api-fixes": {"title": "Injected", "confidence_pct": 1},
    "api-fix": {"outcome": "dismissed"},
    "api-script-generations": {"template": "map-drive", "parameters": {"share": "s", "letter": "S", "password": "p"}},
    "api-token": {"username": "alice", "password": PASSWORD},
    "api-sessions": {"title": "Injected session"},
    "api-messages": {"text": "Injected message"},
    "api-proposal-accept": {"payload": {"text": "Injected fact"}},
    "api-fact-promote": {"text": "Injected fact"},
    "api-resolution-preview": {"force": True},
    "api-escalation-preview": {"force": True},
    "api-resolution-post": INJECTED_POST,
    "api-escalation-post": INJECTED_POST,
    "api-script-templates": {"name": "Injected", "slug": "injected", "language": "cmd", "body": "echo injected"},
    "api-account-settings": {"cw_resolved_status_id": 77},
    "api-members": {"username": "injected", "email": "", "role": "admin", "password": PASSWORD},
    "api-member": {"is_active": False},
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
    """Account A's session with a fact, a check, a fix, an edited draft and a failed handoff."""
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
    check = DiagnosticCheck.objects.create(session=session, name="Ping the Outlook host", result="passed")
    Message.objects.create(session=session, seq=1, role=Message.Role.ENGINEER, text="Outlook loops", created_by=user)
    reply = Message.objects.create(
        session=session, seq=2, role=Message.Role.ASSISTANT, state=Message.State.FAILED, error="Claude was down"
    )
    proposal = Proposal.objects.create(
        message=reply,
        session=session,
        kind=Proposal.Kind.FACT,
        payload={"text": "Bob's fact", "source_summary": ""},
        tool_use_id="toolu_1",
    )
    return {
        "message": reply,
        "proposal": proposal,
        "session": session,
        "fact": fact,
        "check": check,
        "fix": fix,
        "kind": kind,
        "handoff": handoff,
        "member": user,  # a member of the account, named by their user id
        "invite_token": "no-such-invite",
    }


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
        "messages": list(Message.objects.filter(**in_sessions).values("id", "text", "state")),
        "proposals": list(Proposal.objects.filter(**in_sessions).values("id", "state", "payload")),
        "audit": list(AuditEvent.objects.filter(account=account).values()),
        "invites": list(Invite.objects.filter(user__in=users).values()),
    }
