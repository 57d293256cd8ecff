"""Security suite fixtures: every object of account A (Acme) a URL can name, and the Claude stub of the
drafting tests (the real SDK talking to a stand-in on 127.0.0.1)."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from rest_framework.authtoken.models import Token

from accounts.models import Membership
from accounts.services import member_create
from handoff.kinds import DraftKind
from handoff.models import Draft
from psa.models import PsaConnection
from sessions.models import Session
from tests.conftest import PASSWORD
from tests.handoff.conftest import claude_stub, model_on  # noqa: F401 (fixtures, shared with the drafting tests)
from tests.security.routes import web_objects

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
        "ai_sessions.session": session_a,
        "ai_sessions.scripttemplate": template_a,
        "psa.psaconnection": connection,
        "handoff.draft": draft,
        "handoff.handoff": objects["handoff"],
        "auth.user": bob,
        "auth.group": Group.objects.create(name="Acme engineers"),
        "authtoken.tokenproxy": Token.objects.create(user=bob).user,  # its admin names a token by its user's id
        "content_type": ContentType.objects.get_for_model(Session),
        "app_label": "ai_sessions",
        "admin_path": "no-such-page/",
    }
    return {**objects, **admin_samples}
