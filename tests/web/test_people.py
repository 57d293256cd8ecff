"""Account → People and Account → Audit, and the invite page: an admin runs the team from the pages (plain
POST and HTMX), an engineer gets a 403 page, another account's member is 404, and an invited engineer sets a
password, is signed in and works."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, Invite
from sessions.models import Session
from tests.support.clients import web_client_for
from tests.support.data import PASSWORD
from tests.support.html import hx_post, oob_toasts, page_toasts, region, text
from tests.support.mfa import key_of_secret, totp_code

PEOPLE = reverse("people")
INVITE_LINK = re.compile(r"http://testserver(/accounts/invite/[\w-]+/)")


def update_url(user) -> str:
    return reverse("person-update", args=[user.pk])


def invite_path(html: str) -> str:
    return INVITE_LINK.search(html).group(1)


# The admin adds an engineer by invite; the engineer signs up and works


def test_an_invited_engineer_sets_a_password_is_signed_in_and_starts_a_session(alice_web, account_a):
    page = alice_web.post(PEOPLE, {"username": "erin", "email": "erin@acme.example", "role": "engineer"})

    assert page.status_code == 201  # the page itself: the link exists only in this answer
    assert "Invite link for erin" in text(page)
    link = invite_path(text(page))
    assert alice_web.get(PEOPLE).content.count(b"/accounts/invite/") == 0  # shown once

    erin = Client()
    form = erin.get(link)
    assert form.status_code == 200
    assert "You were invited to <strong>Acme MSP</strong> as\n    <strong>erin</strong>" in text(form)
    refused = erin.post(link, {"password": "short", "password_again": "short"})
    assert refused.status_code == 400
    assert "This password is too short" in text(refused)
    mismatch = erin.post(link, {"password": PASSWORD, "password_again": PASSWORD + "x"})
    assert "The two passwords differ." in text(mismatch)

    signed_up = erin.post(link, {"password": PASSWORD, "password_again": PASSWORD}, follow=True)

    assert signed_up.redirect_chain[-1][0] == reverse("home")
    assert "Welcome to FlowPilot, erin" in page_toasts(text(signed_up))
    started = erin.post(reverse("session-new"), {"title": "Erin's first ticket"})
    assert started.status_code == 302
    assert Session.objects.get(title="Erin's first ticket").account == account_a


def test_where_mfa_is_required_an_invited_engineer_sets_it_up_before_anything_else(account_a, alice):
    services.account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)
    added = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")
    link = f"/accounts/invite/{added.invite_token}/"
    erin = Client()

    signed_up = erin.post(link, {"password": PASSWORD, "password_again": PASSWORD}, follow=True)

    assert signed_up.redirect_chain == [(reverse("mfa"), 302)]
    assert "Welcome to FlowPilot, erin" in page_toasts(text(signed_up))
    assert "Your account requires a second factor: set it up to carry on." in page_toasts(text(signed_up))
    assert erin.get(reverse("home"))["Location"] == reverse("mfa")
    assert erin.post(reverse("session-new"), {"title": "Erin's first ticket"})["Location"] == reverse("mfa")
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', text(signed_up)).group(1)
    erin.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret))})
    assert erin.get(reverse("home")).status_code == 200
    assert not Session.objects.exists()


def test_a_used_expired_replaced_or_unknown_invite_is_the_same_clear_page(account_a, alice):
    used = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")
    services.invite_accept(token=used.invite_token, password=PASSWORD)
    expired = services.member_add(account=account_a, actor=alice, username="fay", role="engineer")
    Invite.objects.filter(user=expired.membership.user).update(expires_at=timezone.now() - timedelta(seconds=1))
    replaced = services.member_add(account=account_a, actor=alice, username="gus", role="engineer")
    services.member_invite_renew(membership=replaced.membership, actor=alice)
    deactivated = services.member_add(account=account_a, actor=alice, username="hal", role="engineer")
    services.member_update(membership=deactivated.membership, actor=alice, is_active=False)

    pages = []
    for token in (used.invite_token, expired.invite_token, replaced.invite_token, deactivated.invite_token, "nope"):
        for answer in (Client().get(f"/accounts/invite/{token}/"), Client().post(f"/accounts/invite/{token}/", {})):
            assert answer.status_code == 404
            pages.append(region(text(answer), "main"))

    assert "This invite link cannot be used" in pages[0]
    assert len(set(pages)) == 1  # nothing tells which users exist, or what became of the link
    for username in ("erin", "fay", "gus", "hal"):
        assert username not in pages[0]


def test_a_password_is_set_only_once_even_from_two_tabs(account_a, alice):
    added = services.member_add(account=account_a, actor=alice, username="erin", role="engineer")
    link = f"/accounts/invite/{added.invite_token}/"
    first, second = Client(), Client()
    first.get(link)
    second.get(link)

    first.post(link, {"password": PASSWORD, "password_again": PASSWORD})
    late = second.post(link, {"password": "another-long-password", "password_again": "another-long-password"})

    assert late.status_code == 404
    added.membership.user.refresh_from_db()
    assert added.membership.user.check_password(PASSWORD)


def test_an_engineer_added_with_a_password_can_sign_in_at_once(alice_web):
    response = alice_web.post(PEOPLE, {"username": "erin", "role": "engineer", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(PEOPLE, 302)]
    assert "erin was added: they can sign in now." in page_toasts(text(response))
    assert "/accounts/invite/" not in text(response)


def test_a_refused_member_is_the_page_with_the_error_next_to_the_field(alice_web, bob):
    response = alice_web.post(PEOPLE, {"username": "bob", "role": "engineer", "password": PASSWORD})

    assert response.status_code == 400
    assert "The username &#x27;bob&#x27; is taken: choose another." in region(text(response), "people")
    assert PASSWORD not in text(response)


def test_htmx_adds_a_member_into_the_people_region(alice_web):
    response = hx_post(alice_web, PEOPLE, {"username": "erin", "role": "admin"})

    assert response.status_code == 200
    assert text(response).strip().startswith('<div id="people"')
    assert "Invite link for erin" in text(response)
    assert "<strong>erin</strong>" in text(response)


# Roles, deactivation and the last admin


def test_an_admin_changes_a_role_with_htmx_and_is_told_so(alice_web, bob):
    response = hx_post(alice_web, update_url(bob), {"role": "admin"})

    assert "bob is now admin." in oob_toasts(response)
    bob.refresh_from_db()
    assert bob.membership.role == "admin"


def test_deactivating_from_the_page_ends_the_members_session(alice_web, bob):
    bobs_browser = web_client_for(bob)

    response = alice_web.post(update_url(bob), {"is_active": "false"}, follow=True)

    assert "bob was deactivated: their sign-ins and API tokens have ended." in page_toasts(text(response))
    assert "Deactivated" in region(text(response), f"member-{bob.pk}")
    assert bobs_browser.get(reverse("home"))["Location"].startswith(reverse("login"))
    alice_web.post(update_url(bob), {"is_active": "true"})
    bob.refresh_from_db()
    assert bob.is_active


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_last_admin_is_refused_in_words_on_the_page(alice_web, alice, htmx):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = alice_web.post(update_url(alice), {"role": "engineer"}, **extra)

    assert response.status_code == (200 if htmx else 409)
    assert "alice is the account&#x27;s last active admin: make another member an admin first." in text(response)
    alice.refresh_from_db()
    assert alice.membership.role == "admin"
    assert not AuditEvent.objects.filter(action="member.role_changed").exists()


def test_a_change_naming_nothing_is_refused_in_words(alice_web, bob):
    response = alice_web.post(update_url(bob), {"role": "owner"})

    assert response.status_code == 400
    assert "Choose one of the roles offered." in text(response)


# Who may open the pages


@pytest.mark.parametrize("name", ["people", "audit"])
def test_an_engineer_gets_a_page_saying_only_admins_may(bob_web, name):
    response = bob_web.get(reverse(name))

    assert response.status_code == 403
    assert "Only an account admin can open this page" in text(response)


def test_an_engineer_changes_no_one(bob_web, alice, bob):
    assert bob_web.post(update_url(alice), {"is_active": "false"}).status_code == 403
    assert bob_web.post(PEOPLE, {"username": "mallory", "role": "admin", "password": PASSWORD}).status_code == 403
    alice.refresh_from_db()
    assert alice.is_active


def test_another_accounts_member_is_404(charlie_web, bob):
    assert charlie_web.post(update_url(bob), {"is_active": "false"}).status_code == 404
    assert charlie_web.post(reverse("person-invite", args=[bob.pk])).status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_the_top_bar_offers_people_to_admins_only(alice_web, bob_web):
    assert f'<a href="{PEOPLE}">People</a>' in text(alice_web.get(reverse("home")))
    assert f'<a href="{PEOPLE}">People</a>' not in text(bob_web.get(reverse("home")))


def test_the_people_page_lists_each_member_with_role_status_and_mfa(alice_web, account_a, alice, bob):
    services.member_add(account=account_a, actor=alice, username="erin", role="engineer")

    html = text(alice_web.get(PEOPLE))

    assert "People of Acme MSP" in html
    assert "Invited" in region(html, "member-" + str(account_a.memberships.get(user__username="erin").user_id))
    assert "Active" in region(html, f"member-{bob.pk}")
    assert "New invite link" not in region(html, f"member-{bob.pk}")


# The audit page


def test_the_audit_page_shows_each_change_newest_first_in_words(alice_web, bob, alice):
    alice_web.post(update_url(bob), {"role": "admin"})
    alice_web.post(update_url(bob), {"is_active": "false"})

    html = text(alice_web.get(reverse("audit")))

    deactivated, changed = html.index("Member deactivated"), html.index("Role changed")
    assert deactivated < changed
    assert "engineer → admin" in html


def test_the_audit_page_pages_through_older_events(alice_web, account_a, alice):
    from django.db import transaction

    with transaction.atomic():
        for number in range(55):
            services.audit_record(account=account_a, actor=alice, action="settings.changed", target=f"change {number}")

    first = text(alice_web.get(reverse("audit")))
    second = text(alice_web.get(reverse("audit"), {"page": 2}))

    assert "change 54" in first and "change 4<" not in first and "Page 1 of 2" in first
    assert "change 4<" in second and "change 54" not in second
