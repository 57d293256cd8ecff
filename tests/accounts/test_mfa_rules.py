"""The second-factor rules under the pages and the API: what a right password leads to (one rule, asked by the
sign-in page, the invite page, the token endpoint, Django admin's sign-in and every later request), the key being
set up kept for 10 minutes, the tokens of members without a second factor revoked when their account comes to
require one (recorded, in the same transaction), and no recovery code in an error report."""

import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django.views.debug import ExceptionReporter
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts import auth_mfa, services
from accounts.models import AuditEvent
from tests.support.mfa import enrolled, totp_code


def require_mfa(account, actor=None):
    return services.account_settings_update(account=account, changes={"mfa_required": True}, actor=actor)


class TestWhatARightPasswordLeadsTo:
    def test_nothing_more_for_a_member_without_a_second_factor_where_none_is_required(self, bob):
        assert auth_mfa.sign_in_next_step(bob) == auth_mfa.DONE

    def test_the_code_for_a_member_with_one_required_or_not(self, account_a, bob):
        enrolled(bob)
        assert auth_mfa.sign_in_next_step(bob) == auth_mfa.CODE
        require_mfa(account_a)
        assert auth_mfa.sign_in_next_step(bob) == auth_mfa.CODE

    def test_setting_one_up_where_the_account_requires_it(self, account_a, bob):
        require_mfa(account_a)
        assert auth_mfa.sign_in_next_step(bob) == auth_mfa.ENROL

    def test_an_unconfirmed_key_is_no_second_factor(self, bob):
        auth_mfa.totp_enrolment_open(user=bob)
        assert auth_mfa.sign_in_next_step(bob) == auth_mfa.DONE


class TestTheKeyBeingSetUp:
    def test_is_the_same_for_10_minutes_then_a_new_one(self, bob):
        first = auth_mfa.totp_enrolment_open(user=bob)
        assert auth_mfa.totp_enrolment_open(user=bob).key == first.key

        TOTPDevice.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=10, seconds=1))
        replaced = auth_mfa.totp_enrolment_open(user=bob)

        assert replaced.key != first.key
        assert list(TOTPDevice.objects.filter(user=bob)) == [replaced]

    def test_a_slow_confirmation_still_confirms_the_key_shown(self, bob):
        device = auth_mfa.totp_enrolment_open(user=bob)
        TOTPDevice.objects.filter(pk=device.pk).update(created_at=timezone.now() - timedelta(minutes=30))

        auth_mfa.totp_enrolment_confirm(user=bob, code=totp_code(device.bin_key))

        assert auth_mfa.has_second_factor(bob)


class TestRequiringItRevokesUnprotectedTokens:
    def test_members_without_a_second_factor_lose_their_token_and_it_is_recorded(self, account_a, alice, bob, charlie):
        enrolled(alice)
        for user in (alice, bob, charlie):
            Token.objects.create(user=user)

        require_mfa(account_a, actor=alice)

        assert set(Token.objects.values_list("user__username", flat=True)) == {"alice", "charlie"}
        (event,) = AuditEvent.objects.filter(account=account_a, action="member.api_token_revoked")
        assert (event.actor, event.target, event.action_label) == (alice, "bob", "API token revoked")
        assert event.details == {"reason": "two-factor sign-in required"}

    def test_a_member_without_a_token_is_no_event_and_turning_it_off_revokes_nothing(self, account_a, alice, bob):
        require_mfa(account_a, actor=alice)
        Token.objects.create(user=bob)  # e.g. a superuser made one in Django admin

        services.account_settings_update(account=account_a, changes={"mfa_required": False}, actor=alice)

        assert Token.objects.filter(user=bob).exists()
        assert not AuditEvent.objects.filter(action="member.api_token_revoked").exists()

    def test_a_failure_while_recording_leaves_the_setting_and_the_token_as_they_were(
        self, account_a, alice, bob, monkeypatch
    ):
        Token.objects.create(user=bob)
        record = services.audit_record

        def fails_on_revocation(**kwargs):
            if kwargs["action"] == "member.api_token_revoked":
                raise RuntimeError("the audit table is unavailable")
            return record(**kwargs)

        monkeypatch.setattr(services, "audit_record", fails_on_revocation)

        with pytest.raises(RuntimeError):
            require_mfa(account_a, actor=alice)

        assert Token.objects.filter(user=bob).exists()
        assert not services.account_settings_for(account_a).mfa_required
        assert not AuditEvent.objects.filter(account=account_a).exists()


def frames_of_a_failure(call):
    """The frames Django's error report (DEBUG off) lists, with their local variables, for an error in `call`."""
    try:
        call()
    except RuntimeError:
        return ExceptionReporter(None, *sys.exc_info()).get_traceback_data()["frames"]
    raise AssertionError("the call did not fail")


def test_an_error_report_never_shows_the_recovery_codes_or_the_first_code(settings, bob, monkeypatch):
    settings.DEBUG = False
    recovery_code = "trcbk234"
    monkeypatch.setattr(StaticToken, "random_token", staticmethod(lambda: recovery_code))

    def bulk_create_broken(tokens):
        list(tokens)  # the codes were made, and are held in the frames above
        raise RuntimeError("a bug")

    monkeypatch.setattr(StaticToken.objects, "bulk_create", bulk_create_broken)
    first_code = totp_code(auth_mfa.totp_enrolment_open(user=bob).bin_key)

    frames = frames_of_a_failure(lambda: auth_mfa.totp_enrolment_confirm(user=bob, code=first_code))

    assert {"totp_enrolment_confirm", "_recovery_codes_replace"} <= {frame["function"] for frame in frames}
    shown = repr([frame["vars"] for frame in frames if frame["function"] != "<lambda>"])
    assert recovery_code not in shown and first_code not in shown
