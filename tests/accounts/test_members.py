"""The account's people over REST (DESIGN §5 members): an admin lists, adds (with a password or an invite),
changes roles, deactivates and reactivates; the account always keeps an active admin; a deactivated
member's sessions and tokens stop working at once."""

import sys
import threading

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session as BrowserSession
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.debug import ExceptionReporter
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEvent, Invite, Membership
from accounts.selectors import mfa_enabled
from tests.support.ci import require_postgresql
from tests.support.clients import api_client_for, web_client_for
from tests.support.data import PASSWORD

MEMBERS = reverse("api-members")


def signs_in(username: str):
    """Who the password signs in (None: nobody), as Django's own backend decides it."""
    return ModelBackend().authenticate(None, username=username, password=PASSWORD)


def member_url(user) -> str:
    return reverse("api-member", args=[user.pk])


def test_an_admin_lists_the_accounts_people_and_no_one_elses(alice_api, alice, bob, charlie):
    body = alice_api.get(MEMBERS).json()

    assert [member["username"] for member in body["results"]] == ["alice", "bob"]
    assert body["results"][1] == {
        "id": bob.pk,
        "username": "bob",
        "email": "",
        "role": "engineer",
        "is_active": True,
        "mfa_enabled": False,
        "last_login": None,
    }


def test_an_admin_adds_an_engineer_with_a_password_who_can_then_get_a_token(alice_api, account_a):
    response = alice_api.post(
        MEMBERS,
        {"username": "erin", "email": "erin@acme.example", "role": "engineer", "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 201
    assert "invite_url" not in response.json()
    assert "password" not in response.json()
    assert Membership.objects.get(user__username="erin").account == account_a
    token = APIClient().post(reverse("api-token"), {"username": "erin", "password": PASSWORD}, format="json")
    assert token.status_code == 200


def test_without_a_password_the_answer_carries_an_invite_link_shown_once(alice_api, alice):
    response = alice_api.post(MEMBERS, {"username": "erin", "role": "admin"}, format="json")

    assert response.status_code == 201
    invite_url = response.json()["invite_url"]
    assert invite_url.startswith("http://testserver/accounts/invite/")
    token = invite_url.rstrip("/").rsplit("/", 1)[-1]
    invite = Invite.objects.get(user__username="erin")
    assert invite.token_hash == Invite.hash_of(token) and token not in invite.token_hash
    assert not invite.user.has_usable_password()
    assert invite.user.is_staff  # an admin may use Django admin once signed in
    listed = alice_api.get(MEMBERS).json()["results"]
    assert "invite_url" not in str(listed) and token not in str(listed)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "erin", "role": "owner"}, "role"),
        ({"username": "", "role": "engineer"}, "username"),
        ({"username": "has space", "role": "engineer"}, "username"),
        ({"username": "bob", "role": "engineer"}, "username"),
        ({"username": "BOB", "role": "engineer"}, "username"),
        ({"username": "erin", "role": "engineer", "password": "short"}, "password"),
        ({"username": "erin", "role": "engineer", "email": "not-an-address"}, "email"),
        ({"username": "erin", "role": "engineer", "is_staff": True}, "is_staff"),
        ({"username": 12, "role": "engineer"}, "username"),
    ],
)
def test_a_member_refused_is_a_400_naming_the_field_and_nothing_is_added(alice_api, bob, body, field):
    users_before = Membership.objects.count()

    response = alice_api.post(MEMBERS, body, format="json")

    assert response.status_code == 400
    assert field in (response.json().get("errors") or response.json())
    assert Membership.objects.count() == users_before
    assert not AuditEvent.objects.filter(action="member.added").exists()


def test_an_admin_changes_a_role_and_django_admin_access_follows_it(alice_api, bob):
    response = alice_api.patch(member_url(bob), {"role": "admin"}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    bob.refresh_from_db()
    assert bob.membership.role == "admin" and bob.is_staff
    alice_api.patch(member_url(bob), {"role": "engineer"}, format="json")
    bob.refresh_from_db()
    assert bob.membership.role == "engineer" and not bob.is_staff


def test_deactivating_a_member_ends_their_live_session_and_token_at_once(alice_api, bob):
    browser = web_client_for(bob)
    api = api_client_for(bob)
    assert browser.get(reverse("home")).status_code == 200
    assert api.get(reverse("api-sessions")).status_code == 200

    response = alice_api.patch(member_url(bob), {"is_active": False}, format="json")

    assert response.status_code == 200 and response.json()["is_active"] is False
    assert browser.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert api.get(reverse("api-sessions")).status_code == 401
    assert not Token.objects.filter(user=bob).exists()
    assert not [row for row in BrowserSession.objects.all() if row.get_decoded().get("_auth_user_id") == str(bob.pk)]
    assert signs_in("bob") is None


def test_a_reactivated_member_signs_in_again_without_their_old_session(alice_api, bob):
    old_browser = web_client_for(bob)
    alice_api.patch(member_url(bob), {"is_active": False}, format="json")

    response = alice_api.patch(member_url(bob), {"is_active": True}, format="json")

    assert response.json()["is_active"] is True
    assert old_browser.get(reverse("home")).status_code == 302
    assert signs_in("bob") == bob


def test_deactivating_ends_only_that_members_sign_ins(alice_api, alice, bob):
    alices_browser = web_client_for(alice)

    alice_api.patch(member_url(bob), {"is_active": False}, format="json")

    assert alices_browser.get(reverse("home")).status_code == 200
    assert alice_api.get(MEMBERS).status_code == 200


@pytest.mark.parametrize("change", [{"role": "engineer"}, {"is_active": False}])
def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(alice_api, alice, bob, change):
    response = alice_api.patch(member_url(alice), change, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "last_admin"
    assert "last active admin" in response.json()["detail"]
    alice.refresh_from_db()
    assert alice.is_active and alice.membership.role == "admin"
    assert not AuditEvent.objects.filter(action__startswith="member.").exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_concurrently_leave_one_admin(account_a, alice, bob):
    """The only two admins each demote the other at the same moment: one change wins, the other is 409."""
    require_postgresql("Racing admins on row locks")
    services.member_update(membership=bob.membership, actor=alice, role="admin")
    clients = {alice: api_client_for(alice), bob: api_client_for(bob)}
    barrier = threading.Barrier(2)
    responses = []

    def demote(actor, other):
        barrier.wait()
        try:
            responses.append(clients[actor].patch(member_url(other), {"role": "engineer"}, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=pair) for pair in [(alice, bob), (bob, alice)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(response.status_code for response in responses) == [200, 409]
    (refused,) = [response for response in responses if response.status_code == 409]
    assert refused.json()["code"] == "last_admin"
    assert Membership.objects.filter(account=account_a, role="admin").count() == 1
    assert AuditEvent.objects.filter(action="member.role_changed").count() == 2  # bob's promotion, one demotion


def test_an_inactive_admin_does_not_count_as_the_other_admin(alice_api, alice, bob):
    alice_api.patch(member_url(bob), {"role": "admin"}, format="json")
    alice_api.patch(member_url(bob), {"is_active": False}, format="json")

    response = alice_api.patch(member_url(alice), {"role": "engineer"}, format="json")

    assert response.status_code == 409


def test_with_a_second_admin_an_admin_may_step_down(alice_api, alice, bob):
    alice_api.patch(member_url(bob), {"role": "admin"}, format="json")

    response = alice_api.patch(member_url(alice), {"role": "engineer"}, format="json")

    assert response.status_code == 200
    assert alice_api.get(MEMBERS).status_code == 403  # no longer an admin


def test_an_engineer_gets_403_and_another_accounts_member_is_404(bob_api, charlie_api, alice, bob):
    assert bob_api.get(MEMBERS).status_code == 403
    assert bob_api.post(MEMBERS, {"username": "x", "role": "admin"}, format="json").status_code == 403
    assert bob_api.patch(member_url(alice), {"role": "engineer"}, format="json").status_code == 403

    response = charlie_api.patch(member_url(bob), {"is_active": False}, format="json")

    assert response.status_code == 404
    assert charlie_api.patch(reverse("api-member", args=[999_999]), {}, format="json").status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_a_patch_with_an_unknown_or_mistyped_field_is_a_400(alice_api, bob):
    assert alice_api.patch(member_url(bob), {"is_staff": True}, format="json").status_code == 400
    assert alice_api.patch(member_url(bob), {"is_active": "no"}, format="json").status_code == 400
    assert alice_api.patch(member_url(bob), {"role": "root"}, format="json").status_code == 400


def test_mfa_enabled_says_whether_the_member_has_a_confirmed_totp_device(bob):
    assert mfa_enabled(bob) is False
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=False)
    assert mfa_enabled(bob) is False
    TOTPDevice.objects.create(user=bob, name="phone 2", confirmed=True)
    assert mfa_enabled(bob) is True


def test_a_new_invite_link_replaces_the_old_one(account_a, alice):
    added = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")

    renewed = services.member_invite_renew(membership=added.membership, actor=alice)

    assert services.invite_for_token(added.invite_token) is None
    assert services.invite_for_token(renewed).user.username == "erin"


# The people list: one query for everyone's second factor


def test_the_list_says_who_has_a_confirmed_second_factor(alice_api, account_a, alice, bob):
    erin = services.member_create(account=account_a, username="erin", password=PASSWORD, role="engineer").user
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=False)  # enrolment begun, never confirmed
    StaticDevice.objects.create(user=erin, name="recovery codes", confirmed=True)

    listed = {member["username"]: member["mfa_enabled"] for member in alice_api.get(MEMBERS).json()["results"]}

    assert listed == {"alice": True, "bob": False, "erin": True}
    changed = alice_api.patch(member_url(alice), {}, format="json").json()  # a membership not from the list
    assert changed["mfa_enabled"] is True


def queries_to_list(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [MEMBERS, reverse("people")], ids=["api", "people page"])
def test_listing_the_people_costs_the_same_queries_however_many_there_are(alice, account_a, url):
    client = api_client_for(alice) if url == MEMBERS else web_client_for(alice)
    queries_to_list(client, url)  # warm: the first request of a client caches what it may
    few = queries_to_list(client, url)
    for number in range(5):
        member = services.member_add(account=account_a, actor=alice, username=f"member{number}", role="engineer")
        TOTPDevice.objects.create(user=member.membership.user, name="phone", confirmed=True)

    assert queries_to_list(client, url) == few


# Secrets stay out of error reports


def frames_of_a_failure(rf, call):
    """The frames Django's error report (DEBUG off) lists, with their local variables, for an error in `call`."""
    try:
        call()
    except RuntimeError:
        return ExceptionReporter(rf.post("/"), *sys.exc_info()).get_traceback_data()["frames"]
    raise AssertionError("the call did not fail")


def broken(*args, **kwargs):
    raise RuntimeError("a bug")


def validate_password_broken(password, user=None, password_validators=None):
    """Django's validator failing on a bug: its frame holds the password too."""
    raise RuntimeError("a bug")


def test_an_error_report_never_shows_a_new_members_password(rf, settings, account_a, alice, monkeypatch):
    settings.DEBUG = False
    secret = "Secret-In-A-Traceback-42"
    monkeypatch.setattr(services, "validate_password", validate_password_broken)

    frames = frames_of_a_failure(
        rf,
        lambda: services.member_add(account=account_a, actor=alice, username="erin", role="engineer", password=secret),
    )

    functions = {frame["function"] for frame in frames}
    assert {"member_add", "member_create", "validate_password_broken"} <= functions
    assert secret not in repr([frame["vars"] for frame in frames if frame["function"] != "<lambda>"])


def test_an_error_report_never_shows_an_invites_token(rf, settings, account_a, alice, monkeypatch):
    settings.DEBUG = False
    token = "Invite-Token-In-A-Traceback-42"
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda size: token)
    monkeypatch.setattr(Invite.objects, "create", broken)

    frames = frames_of_a_failure(
        rf, lambda: services.member_add(account=account_a, actor=alice, username="erin", role="engineer")
    )

    assert "_invite_create" in {frame["function"] for frame in frames}
    assert token not in repr([frame["vars"] for frame in frames])


def test_an_error_report_never_shows_the_password_or_token_of_an_accepted_invite(
    rf, settings, account_a, alice, monkeypatch
):
    settings.DEBUG = False
    added = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")
    secret = "Secret-In-A-Traceback-42"
    monkeypatch.setattr(services, "validate_password", validate_password_broken)

    frames = frames_of_a_failure(rf, lambda: services.invite_accept(token=added.invite_token, password=secret))

    assert "invite_accept" in {frame["function"] for frame in frames}
    shown = repr([frame["vars"] for frame in frames if frame["function"] != "<lambda>"])
    assert secret not in shown and added.invite_token not in shown
