from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccountSettings
from tests.support.data import PASSWORD

TOKEN = reverse("api-token")
SETTINGS = reverse("api-account-settings")


class TestToken:
    def test_it_trades_a_username_and_password_for_a_token_that_works(self, bob):
        response = APIClient().post(TOKEN, {"username": "bob", "password": PASSWORD}, format="json")
        assert response.status_code == 200
        token = response.json()["token"]
        assert token == Token.objects.get(user=bob).key
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get(reverse("api-sessions")).status_code == 200

    def test_wrong_or_missing_credentials_are_400(self, bob):
        for body in ({"username": "bob", "password": "wrong-password"}, {"username": "bob"}, {}):
            response = APIClient().post(TOKEN, body, format="json")
            assert response.status_code == 400
        assert not Token.objects.exists()

    def test_anonymous_and_bad_token_calls_are_401(self, anon_api):
        assert anon_api.get(reverse("api-sessions")).status_code == 401
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert client.get(reverse("api-sessions")).status_code == 401

    def test_a_user_outside_every_account_is_403(self, db):
        from django.contrib.auth import get_user_model

        from tests.support.clients import api_client_for

        loner = get_user_model().objects.create_user("loner", password=PASSWORD)
        response = api_client_for(loner).get(reverse("api-sessions"))
        assert response.status_code == 403
        assert "no FlowPilot account" in response.json()["detail"]


def statuses(resolved, escalated, mfa_required=False) -> dict:
    """The settings as the API answers them: each status under its name and its `cw_` alias."""
    return {
        "resolved_status_id": resolved,
        "escalated_status_id": escalated,
        "cw_resolved_status_id": resolved,
        "cw_escalated_status_id": escalated,
        "mfa_required": mfa_required,
    }


class TestAccountSettings:
    def test_an_admin_reads_and_sets_the_status_ids(self, alice_api, account_a):
        assert alice_api.get(SETTINGS).json() == statuses(None, None)
        response = alice_api.patch(SETTINGS, {"cw_resolved_status_id": 17, "cw_escalated_status_id": 23}, format="json")
        assert response.status_code == 200
        assert response.json() == statuses(17, 23)
        assert AccountSettings.objects.get(account=account_a).preferences == {
            "cw_resolved_status_id": 17,
            "cw_escalated_status_id": 23,
        }

    def test_null_unsets_a_status_id_and_omitted_keys_stay(self, alice_api, account_a):
        alice_api.patch(SETTINGS, {"cw_resolved_status_id": 17, "cw_escalated_status_id": 23}, format="json")
        response = alice_api.patch(SETTINGS, {"cw_resolved_status_id": None}, format="json")
        assert response.json() == statuses(None, 23)
        assert AccountSettings.objects.get(account=account_a).preferences == {"cw_escalated_status_id": 23}

    def test_it_refuses_bad_status_ids_and_unknown_keys(self, alice_api, account_a):
        for body in (
            {"cw_resolved_status_id": 0},
            {"cw_resolved_status_id": "17"},
            {"cw_resolved_status_id": 2**31},
            {"cw_resolved_status_id": True},
            {"cw_escalated_status_id": [1]},
            {"process_notifications": True},
        ):
            response = alice_api.patch(SETTINGS, body, format="json")
            assert response.status_code == 400, body
            assert next(iter(body)) in response.json(), body
        assert AccountSettings.objects.get(account=account_a).preferences == {}

    def test_an_engineer_is_403(self, bob_api):
        assert bob_api.get(SETTINGS).status_code == 403
        assert bob_api.patch(SETTINGS, {"cw_resolved_status_id": 1}, format="json").status_code == 403

    def test_each_admin_sees_only_their_own_account(self, alice_api, charlie_api, account_a, account_b):
        alice_api.patch(SETTINGS, {"cw_resolved_status_id": 17}, format="json")
        assert charlie_api.get(SETTINGS).json() == statuses(None, None)
        assert AccountSettings.objects.get(account=account_b).preferences == {}
