"""Two-factor sign-in on the pages: setting up an authenticator app (QR code and key shown while setting up, ten
recovery codes shown once), signing in with a code or a recovery code (each works once), turning it off with a
code, and an account that requires it (a member without one sets it up at the next sign-in, before anything).
Sessions and tokens already live are held to it too: a session the second factor has not verified goes to the
code step or to setting one up at its next request, and turning the requirement on revokes unprotected tokens."""

import logging
import re
from base64 import b32encode
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.views.debug import ExceptionReporter
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.services import account_settings_update
from tests.support.clients import api_client_for, web_client_for
from tests.support.data import PASSWORD
from tests.support.mfa import enrolled, key_of_secret, totp_code, verified_web_client_for
from web import signin

LOGIN, CODE, MFA = reverse("login"), reverse("login-code"), reverse("mfa")
HOME = reverse("home")


def html(response) -> str:
    return response.content.decode()


def secret_on(page: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)


def codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)


def sign_in(client, username="bob", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def wrong_code(right: str) -> str:
    return "000000" if right != "000000" else "111111"


class TestSettingUp:
    def test_the_page_shows_a_qr_code_and_the_key_then_ten_recovery_codes_once(self, bob_web, bob):
        page = bob_web.get(MFA)
        assert page.status_code == 200
        body = html(page)
        assert '<svg class="qr" role="img" aria-label="QR code to scan"' in body
        assert "data:" not in body.split("<main", 1)[1]
        secret = secret_on(body)

        confirmed = bob_web.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret))})

        assert confirmed.status_code == 200
        codes = codes_on(html(confirmed))
        assert len(codes) == 10 and len(set(codes)) == 10
        assert bob_web.session[DEVICE_ID_SESSION_KEY]  # this session counts as verified
        again = html(bob_web.get(MFA))
        assert "Two-factor sign-in is on" in again
        assert "Recovery codes left: <strong>10</strong>" in again
        assert secret.replace(" ", "") not in again.replace(" ", "")
        assert not any(code in again or code.replace("-", "") in again for code in codes)

    def test_a_wrong_first_code_shows_the_same_key_again_with_the_error(self, bob_web, bob):
        secret = secret_on(html(bob_web.get(MFA)))

        refused = bob_web.post(reverse("mfa-confirm"), {"code": wrong_code(totp_code(key_of_secret(secret)))})

        assert refused.status_code == 400
        assert "That code is not right." in html(refused)
        assert secret_on(html(refused)) == secret
        assert not TOTPDevice.objects.filter(user=bob, confirmed=True).exists()

    def test_another_visit_shows_the_same_key_so_the_scanned_app_still_confirms(self, bob_web, bob):
        scanned = secret_on(html(bob_web.get(MFA)))

        again = bob_web.get(MFA, HTTP_REFERER="https://elsewhere.example/")  # a reload, a tab, another site's link
        confirmed = bob_web.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(scanned))})

        assert secret_on(html(again)) == scanned
        assert confirmed.status_code == 200
        assert TOTPDevice.objects.filter(user=bob).count() == 1

    def test_a_key_left_unconfirmed_for_10_minutes_is_replaced_on_the_next_visit(self, bob_web, bob):
        first = secret_on(html(bob_web.get(MFA)))
        TOTPDevice.objects.filter(user=bob).update(created_at=timezone.now() - timedelta(minutes=11))

        later = secret_on(html(bob_web.get(MFA)))

        assert later != first
        assert TOTPDevice.objects.filter(user=bob).count() == 1

    def test_an_error_report_while_setting_up_never_shows_the_key(self, bob_web, bob, settings, monkeypatch):
        settings.DEBUG = False

        def broken(*args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(signin.qrcode, "make", broken)

        with pytest.raises(RuntimeError) as failure:
            bob_web.get(MFA)

        frames = ExceptionReporter(None, failure.type, failure.value, failure.tb).get_traceback_data()["frames"]
        assert {"mfa", "_enrol_context", "_qr_svg"} <= {frame["function"] for frame in frames}
        device = TOTPDevice.objects.get(user=bob)
        shown = repr([frame["vars"] for frame in frames])
        assert b32encode(device.bin_key).decode() not in shown and device.key not in shown

    def test_it_can_be_turned_off_with_a_code(self, bob):
        key, codes = enrolled(bob)
        bob_web = verified_web_client_for(bob)

        refused = bob_web.post(reverse("mfa-disable"), {"code": wrong_code(totp_code(key, steps_ahead=1))})
        assert refused.status_code == 400
        assert "That code is not right." in html(refused)
        off = bob_web.post(reverse("mfa-disable"), {"code": codes[0]}, follow=True)

        assert off.redirect_chain == [(MFA, 302)]
        assert "Two-factor sign-in is off." in html(off)
        assert not TOTPDevice.objects.filter(user=bob, confirmed=True).exists()
        assert not StaticDevice.objects.filter(user=bob).exists()


class TestSigningIn:
    def test_the_password_alone_signs_nobody_in_then_the_code_does(self, bob):
        key, _codes = enrolled(bob)
        client = Client()

        step = sign_in(client, next="/sessions/new/")
        assert step.status_code == 302 and step["Location"] == CODE
        assert SESSION_KEY not in client.session
        assert client.get(HOME)["Location"].startswith(LOGIN)
        refused = client.post(CODE, {"code": wrong_code(totp_code(key, steps_ahead=1))})
        assert refused.status_code == 200  # the form again, as for a wrong password
        assert "That code is not right." in html(refused)
        assert SESSION_KEY not in client.session

    def test_the_right_code_signs_in_verified_with_a_new_session(self, bob):
        key, _codes = enrolled(bob)
        client = Client()
        sign_in(client, next="/sessions/new/")
        pending_key = client.session.session_key

        done = client.post(CODE, {"code": totp_code(key, steps_ahead=1)})

        assert done.status_code == 302 and done["Location"] == "/sessions/new/"
        assert client.session[SESSION_KEY] == str(bob.pk)
        assert client.session[DEVICE_ID_SESSION_KEY].startswith("otp_totp.totpdevice/")
        assert client.session.session_key != pending_key
        assert client.get(HOME).status_code == 200

    def test_a_recovery_code_signs_in_once(self, bob):
        _key, codes = enrolled(bob)
        first = Client()
        sign_in(first)

        used = first.post(CODE, {"code": codes[3].upper().replace("-", " ")}, follow=True)  # as typed by a person

        assert used.redirect_chain[-1] == (HOME, 302)
        assert "You signed in with a recovery code; 9 left." in html(used)
        second = Client()
        sign_in(second)
        assert "That code is not right." in html(second.post(CODE, {"code": codes[3]}))
        assert SESSION_KEY not in second.session

    def test_wrong_codes_make_the_next_attempt_wait(self, bob, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 30  # a 30 s wait after one wrong code (2 s by default): no race
        key, _codes = enrolled(bob)
        client = Client()
        sign_in(client)
        client.post(CODE, {"code": wrong_code(totp_code(key, steps_ahead=1))})

        throttled = client.post(CODE, {"code": totp_code(key, steps_ahead=1)})

        assert throttled.status_code == 200
        assert re.search(r"Too many wrong codes\. Try again in \d+ seconds?\.", html(throttled))
        assert SESSION_KEY not in client.session

    def test_the_code_step_without_a_password_first_goes_back_to_signing_in(self, db):
        assert Client().get(CODE)["Location"] == LOGIN

    def test_the_code_step_expires(self, bob, settings):
        enrolled(bob)
        client = Client()
        sign_in(client)
        settings.FLOWPILOT_MFA_SIGN_IN_SECONDS = 0

        assert client.post(CODE, {"code": "123456"})["Location"] == LOGIN

    def test_djangos_admin_sign_in_is_no_way_around_the_code(self, alice):
        enrolled(alice)
        client = Client()

        page = client.post(reverse("admin:login"), {"username": "alice", "password": PASSWORD})

        assert page.status_code == 200
        assert "sign in on the FlowPilot sign-in page, then open Admin" in html(page)
        assert SESSION_KEY not in client.session

    def test_no_secret_seed_or_recovery_code_reaches_the_logs(self, bob, caplog):
        caplog.set_level(logging.DEBUG)
        client = Client()
        sign_in(client)
        page = html(client.get(MFA))
        secret = secret_on(page)
        confirmed = client.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret))})
        codes = codes_on(html(confirmed))
        client.post(reverse("logout"))
        sign_in(client)
        client.post(CODE, {"code": codes[0]})
        device = TOTPDevice.objects.get(user=bob)

        logged = caplog.text
        assert secret.replace(" ", "") not in logged.replace(" ", "")
        assert device.key not in logged
        assert not any(code.replace("-", "") in logged for code in codes)


class TestRequiredByTheAccount:
    @pytest.fixture
    def required(self, account_a, alice):
        account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)

    def test_a_member_without_a_second_factor_sets_it_up_before_anything_else(self, required, bob):
        client = Client()

        signed_in = client.post(LOGIN, {"username": "bob", "password": PASSWORD}, follow=True)

        assert signed_in.redirect_chain == [(MFA, 302)]
        assert "Your account requires a second factor" in html(signed_in)
        assert client.get(HOME)["Location"] == MFA
        assert client.get(reverse("session-new"))["Location"] == MFA
        assert client.get(reverse("api-sessions")).status_code == 403
        assert client.get(HOME, HTTP_HX_REQUEST="true")["HX-Redirect"] == MFA
        secret = secret_on(html(signed_in))
        done = client.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret))})
        assert done.status_code == 200
        assert client.get(HOME).status_code == 200

    def test_a_member_may_still_sign_out_while_setting_up(self, required, bob):
        client = Client()
        sign_in(client)

        assert client.post(reverse("logout"))["Location"] == LOGIN
        assert SESSION_KEY not in client.session

    def test_a_member_who_has_one_signs_in_with_the_code_as_usual(self, required, bob):
        key, _codes = enrolled(bob)
        client = Client()

        assert sign_in(client)["Location"] == CODE
        assert client.post(CODE, {"code": totp_code(key, steps_ahead=1)})["Location"] == HOME
        assert client.get(HOME).status_code == 200

    def test_turning_it_off_where_required_means_setting_it_up_again(self, required, bob):
        _key, codes = enrolled(bob)
        client = Client()
        sign_in(client)
        client.post(CODE, {"code": codes[0]})

        off = client.post(reverse("mfa-disable"), {"code": codes[1]}, follow=True)

        assert "Your account requires it: set it up again." in html(off)
        assert secret_on(html(off))
        assert client.get(HOME)["Location"] == MFA

    def test_an_admin_requires_it_in_the_account_settings_and_through_the_api(self, account_a, alice, alice_api):
        enrolled(alice)  # her token keeps working: she has a second factor
        response = alice_api.patch(reverse("api-account-settings"), {"mfa_required": True}, format="json")

        assert response.status_code == 200
        assert response.json()["mfa_required"] is True
        assert account_a.settings.__class__.objects.get(account=account_a).mfa_required
        assert (
            alice_api.patch(reverse("api-account-settings"), {"mfa_required": "yes"}, format="json").status_code == 400
        )
        off = alice_api.patch(reverse("api-account-settings"), {"mfa_required": False}, format="json")
        assert off.json()["mfa_required"] is False

    def test_an_engineer_cannot_change_it(self, bob_api):
        response = bob_api.patch(reverse("api-account-settings"), {"mfa_required": False}, format="json")

        assert response.status_code == 403


class TestSessionsAndTokensAlreadyLive:
    def test_turning_it_on_revokes_the_tokens_of_members_without_a_second_factor(self, account_a, alice, bob):
        enrolled(alice)
        alice_api, bob_api = api_client_for(alice), api_client_for(bob)

        assert (
            alice_api.patch(reverse("api-account-settings"), {"mfa_required": True}, format="json").status_code == 200
        )

        assert bob_api.get(reverse("api-sessions")).status_code == 401
        assert not Token.objects.filter(user=bob).exists()
        assert alice_api.get(reverse("api-sessions")).status_code == 200

    def test_a_member_signed_in_before_it_was_required_sets_it_up_at_their_next_request(self, account_a, alice, bob):
        client = web_client_for(bob)
        assert client.get(HOME).status_code == 200

        account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)

        assert client.get(HOME)["Location"] == MFA
        assert client.post(reverse("session-new"), {"title": "Printer"})["Location"] == MFA
        assert client.get(HOME, HTTP_HX_REQUEST="true")["HX-Redirect"] == MFA
        refused = client.get(reverse("api-sessions"))
        assert refused.status_code == 403
        assert refused.json()["code"] == "mfa_enrolment_required"
        assert client.get(static("css/app.css")).status_code != 302  # static files are never held back
        page = client.get(MFA)
        assert page.status_code == 200
        assert "Your account requires two-factor sign-in: set it up to carry on." in html(page)
        client.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret_on(html(page))))})
        assert client.get(HOME).status_code == 200

    def test_a_session_older_than_the_second_factor_asks_for_the_code_before_anything(self, bob):
        older, newer = web_client_for(bob), web_client_for(bob)
        secret = secret_on(html(newer.get(MFA)))
        newer.post(reverse("mfa-confirm"), {"code": totp_code(key_of_secret(secret))})

        assert older.get(HOME)["Location"] == CODE
        assert older.get(MFA)["Location"] == CODE  # nor may it turn the second factor off
        assert older.get(HOME, HTTP_HX_REQUEST="true")["HX-Redirect"] == CODE
        refused = older.get(reverse("api-sessions"))
        assert refused.status_code == 403
        assert refused.json()["code"] == "mfa_verification_required"
        step = older.get(CODE)
        assert step.status_code == 200
        assert "This sign-in has not used your second factor yet" in html(step)
        wrong = older.post(CODE, {"code": wrong_code(totp_code(key_of_secret(secret), steps_ahead=1))})
        assert "That code is not right." in html(wrong)
        assert older.get(HOME)["Location"] == CODE
        assert newer.get(HOME).status_code == 200

    def test_the_code_verifies_the_older_session_under_a_new_key(self, bob):
        older = web_client_for(bob)
        key, _codes = enrolled(bob)
        old_key = older.session.session_key

        done = older.post(CODE, {"code": totp_code(key, steps_ahead=1)})

        assert done["Location"] == HOME
        assert older.session.session_key != old_key
        assert older.session[SESSION_KEY] == str(bob.pk)
        assert older.get(HOME).status_code == 200
        assert older.get(reverse("api-sessions")).status_code == 200

    def test_turning_it_off_where_required_sends_the_other_sessions_to_set_it_up(self, account_a, alice, bob):
        _key, codes = enrolled(bob)
        account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)
        here, there = Client(), Client()
        for client, code in ((here, codes[0]), (there, codes[1])):
            sign_in(client)
            client.post(CODE, {"code": code})
        assert there.get(HOME).status_code == 200

        here.post(reverse("mfa-disable"), {"code": codes[2]})

        assert there.get(HOME)["Location"] == MFA

    def test_turning_it_off_where_not_required_leaves_the_other_sessions_signed_in(self, bob):
        _key, codes = enrolled(bob)
        here, there = Client(), Client()
        for client, code in ((here, codes[0]), (there, codes[1])):
            sign_in(client)
            client.post(CODE, {"code": code})

        here.post(reverse("mfa-disable"), {"code": codes[2]})

        assert there.get(HOME).status_code == 200

    def test_an_api_token_is_judged_on_its_own_and_no_header_gets_past_the_session_check(self, account_a, alice):
        enrolled(alice)
        token, _ = Token.objects.get_or_create(user=alice)  # as issued after her second factor
        account_settings_update(account=account_a, changes={"mfa_required": True}, actor=alice)
        client = web_client_for(alice)  # a session the second factor never verified, and a token besides
        sessions = reverse("api-sessions")

        assert client.get(sessions, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
        assert client.get(sessions, HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
        assert client.get(sessions, HTTP_AUTHORIZATION="Bearer whatever").json()["code"] == (
            "mfa_verification_required"
        )
        assert client.get(sessions).status_code == 403
