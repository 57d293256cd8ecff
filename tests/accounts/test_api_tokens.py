"""POST /api/auth/token/: request rates per username and per address (429 with Retry-After and the wait in words),
the second factor for a user who has one, none for a member who must set one up first; GET /api/auth/tokens/ and
DELETE /api/auth/token/: the owner lists (never the key) and revokes their token."""

from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import account_settings_update
from tests.support.clients import api_client_for
from tests.support.data import PASSWORD
from tests.support.mfa import enrolled, totp_code

TOKEN, TOKENS = reverse("api-token"), reverse("api-tokens")


def ask(username="bob", password=PASSWORD, client=None, **extra):
    return (client or APIClient()).post(TOKEN, {"username": username, "password": password, **extra}, format="json")


def per_minute(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


class TestRates:
    def test_past_the_rate_per_username_it_answers_429_with_the_wait(self, bob):
        for _ in range(per_minute("sign_in_username")):
            assert ask().status_code == 200

        throttled = ask()

        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled"
        assert 1 <= int(throttled["Retry-After"]) <= 60
        assert throttled.json()["detail"].startswith("Too many sign-in requests. Try again in ")
        assert throttled.json()["detail"].endswith((" seconds.", " second.", " minute."))

    def test_the_rate_per_username_does_not_stop_a_colleague(self, alice, bob):
        for _ in range(per_minute("sign_in_username")):
            ask()
        assert ask().status_code == 429

        assert ask("alice").status_code == 200

    def test_the_rate_per_address_is_far_higher_and_counts_every_username(self, alice, bob):
        per_address = per_minute("sign_in_address")
        assert per_address >= 5 * per_minute("sign_in_username")
        for number in range(per_address):
            ask(f"someone{number}", "x")  # wrong, but each username fails only once

        throttled = ask("alice")

        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled"
        assert int(throttled["Retry-After"]) >= 1


class TestSecondFactor:
    def test_a_user_with_a_second_factor_gets_a_token_only_with_a_code(self, bob):
        key, _codes = enrolled(bob)

        missing = ask()
        assert missing.status_code == 400
        assert missing.json()["code"] == "otp_required"
        wrong = ask(otp="000000" if totp_code(key) != "000000" else "111111")
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "otp_invalid"
        assert not Token.objects.filter(user=bob).exists()

    def test_the_right_code_gets_the_token(self, bob):
        key, _codes = enrolled(bob)

        response = ask(otp=totp_code(key, steps_ahead=1))

        assert response.status_code == 200
        assert response.json()["token"] == Token.objects.get(user=bob).key

    def test_a_recovery_code_works_once(self, bob):
        _key, codes = enrolled(bob)

        assert ask(otp=codes[0]).status_code == 200
        again = ask(otp=codes[0])
        assert again.status_code == 400
        assert again.json()["code"] == "otp_invalid"

    def test_wrong_codes_are_throttled_too(self, bob, settings):
        settings.OTP_TOTP_THROTTLE_FACTOR = 30  # a 30 s wait after one wrong code (2 s by default): no race
        key, _codes = enrolled(bob)
        assert ask(otp="999999" if totp_code(key, steps_ahead=1) != "999999" else "888888").status_code == 400

        throttled = ask(otp=totp_code(key, steps_ahead=1))  # right, but too soon after a wrong one

        assert throttled.status_code == 429
        assert throttled.json()["code"] == "otp_throttled"
        assert throttled.json()["detail"].startswith("Too many wrong codes. Try again in ")
        assert int(throttled["Retry-After"]) >= 1

    def test_a_member_who_must_set_up_a_second_factor_gets_no_token_until_then(self, account_a, bob):
        account_settings_update(account=account_a, changes={"mfa_required": True})

        refused = ask()

        assert refused.status_code == 403
        assert refused.json()["code"] == "mfa_enrolment_required"
        assert "sign in on the FlowPilot sign-in page" in refused.json()["detail"]
        assert not Token.objects.filter(user=bob).exists()

    def test_wrong_passwords_say_nothing_about_the_second_factor(self, bob):
        enrolled(bob)

        for username in ("bob", "nobody-by-this-name"):
            answer = ask(username, "wrong-password-1")
            assert answer.status_code == 400
            assert answer.json() == {
                "detail": "Unable to sign in with that username and password.",
                "code": "invalid_credentials",
            }


class TestOwnTokens:
    def test_the_owner_lists_their_token_without_its_key(self, bob):
        client = api_client_for(bob)
        key = Token.objects.get(user=bob).key

        listed = client.get(TOKENS)

        assert listed.status_code == 200
        assert listed.json() == [{"prefix": key[:6], "created": listed.json()[0]["created"]}]
        assert key not in listed.content.decode()

    def test_the_owner_revokes_their_token_and_it_stops_working(self, bob, alice):
        client = api_client_for(bob)
        alices = Token.objects.create(user=alice)

        assert client.delete(TOKEN).status_code == 204
        assert client.get(TOKENS).status_code == 401
        assert not Token.objects.filter(user=bob).exists()
        assert Token.objects.filter(pk=alices.pk).exists()  # only the caller's own

    def test_revoking_when_there_is_none_leaves_none(self, bob_web):
        assert bob_web.delete(TOKEN).status_code == 204
        assert not Token.objects.filter(user__username="bob").exists()

    def test_anonymous_callers_can_neither_list_nor_revoke(self, anon_api):
        assert anon_api.get(TOKENS).status_code == 401
        assert anon_api.delete(TOKEN).status_code == 401

    def test_a_browser_session_asks_for_a_token_only_with_its_csrf_token(self, bob):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(bob)

        refused = ask(client=client)

        assert refused.status_code == 403
        assert refused.json()["detail"].startswith("CSRF Failed")
