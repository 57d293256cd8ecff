"""Security suite fixtures: every object of account A (Acme) a URL can name, and the Claude stub of the
drafting tests (the real SDK talking to a stand-in on 127.0.0.1)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.models import AuditEvent, Membership
from accounts.services import member_create
from drafting.kinds import DraftKind
from drafting.models import Draft
from llm.models import ModelCall
from psa.models import PsaConnection
from sessions.models import Session
from tests.security.routes import web_objects
from tests.support.data import PASSWORD

SIGN_IN_RECORD = {
    "username": "bob",
    "ip_address": "127.0.0.1",
    "user_agent": "test",
    "http_accept": "*/*",
    "path_info": "/",
}

# Acme's own words: any of them in a response to another account's user is a leak.
ACME_MARKERS = ("Outlook", "Modern auth", "Clear cached credentials", "Acme MSP", "acme-company", "Bob's note")


@pytest.fixture(autouse=True)
def offline_unless_stubbed(settings):
    """No request of this suite reaches the real Claude API: drafts are offline unless a test uses the stub."""
    settings.ANTHROPIC_API_KEY = ""


@pytest.fixture(params=["admin", "engineer"])
def outsider(request, account_b, charlie):
    """A user of Globex (account B): charlie, its admin, or one of its engineers."""
    if request.param == "admin":
        return charlie
    return member_create(account=account_b, username="dana", password=PASSWORD, role=Membership.Role.ENGINEER).user


@pytest.fixture
def acme(session_a, fact_a, fix_a, template_a, bob):
    """Every object of account A a URL can name: the web UI's, and a sample of each model in Django admin."""
    objects = web_objects(session=session_a, fact=fact_a, fix=fix_a, user=bob)
    account = session_a.account
    # Nothing listens on port 9, and without the private-hosts opt-in nothing is even tried.
    connection = PsaConnection(
        account=account, site_url="http://127.0.0.1:9", company_id="acme-company", public_key="acme-public"
    )
    connection.set_private_key("acme-private-key")
    connection.save()
    draft = Draft.objects.create(
        session=session_a, kind=DraftKind.RESOLUTION_NOTE, state_version=1, markdown="## Problem", drafted_by="offline"
    )
    admin_samples = {
        "accounts.account": account,
        "accounts.membership": bob.membership,
        "accounts.accountsettings": account.settings,
        "accounts.auditevent": AuditEvent.objects.create(account=account, action="settings.changed", target="Acme MSP"),
        "ai_sessions.session": session_a,
        "ai_sessions.scripttemplate": template_a,
        "psa.psaconnection": connection,
        "drafting.draft": draft,
        "llm.modelcall": ModelCall.objects.create(account=account, action="resolution_note", model="claude", ok=True),
        "handoff.handoff": objects["handoff"],
        "assistant.message": objects["message"],
        "assistant.assistantusage": session_a,
        "auth.user": bob,
        "auth.group": Group.objects.create(name="Acme engineers"),
        "authtoken.tokenproxy": Token.objects.create(user=bob).user,  # its admin names a token by its user's id
        "content_type": ContentType.objects.get_for_model(Session),
        "app_label": "ai_sessions",
        "admin_path": "no-such-page/",
        # Sign-in records (django-axes) and second factors (django-otp): superuser-only in Django admin
        "axes.accessattempt": AccessAttempt.objects.create(failures_since_start=1, **SIGN_IN_RECORD),
        "axes.accesslog": AccessLog.objects.create(**SIGN_IN_RECORD),
        "axes.accessfailurelog": AccessFailureLog.objects.create(locked_out=False, **SIGN_IN_RECORD),
        "otp_totp.totpdevice": TOTPDevice.objects.create(user=bob, name="Authenticator app", confirmed=True),
        "otp_static.staticdevice": StaticDevice.objects.create(user=bob, name="Recovery codes", confirmed=True),
    }
    return {**objects, **admin_samples}
