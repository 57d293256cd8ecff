"""The account's target statuses over REST under their names for every PSA (`resolved_status_id`,
`escalated_status_id`, DESIGN §11), with the older `cw_` names accepted and answered as aliases of the
same settings: stored under one key, so nothing migrated and a post reads what either name set."""

import pytest
from django.urls import reverse

from accounts.models import AccountSettings

SETTINGS = reverse("api-account-settings")


def stored(account) -> dict:
    return AccountSettings.objects.get(account=account).preferences


def test_it_answers_both_names_with_the_same_values(alice_api, account_a):
    alice_api.patch(SETTINGS, {"resolved_status_id": 5, "escalated_status_id": 4}, format="json")

    assert alice_api.get(SETTINGS).json() == {
        "resolved_status_id": 5,
        "escalated_status_id": 4,
        "cw_resolved_status_id": 5,
        "cw_escalated_status_id": 4,
        "mfa_required": False,
    }


def test_the_new_names_store_under_the_keys_a_post_reads(alice_api, account_a):
    response = alice_api.patch(SETTINGS, {"resolved_status_id": 17}, format="json")

    assert response.status_code == 200
    assert stored(account_a) == {"cw_resolved_status_id": 17}
    assert AccountSettings.objects.get(account=account_a).status_id("cw_resolved_status_id") == 17


@pytest.mark.parametrize(
    ("first", "then"),
    [("resolved_status_id", "cw_resolved_status_id"), ("cw_resolved_status_id", "resolved_status_id")],
)
def test_either_name_changes_what_the_other_set(alice_api, account_a, first, then):
    alice_api.patch(SETTINGS, {first: 17}, format="json")

    response = alice_api.patch(SETTINGS, {then: 21}, format="json")

    assert (response.json()["resolved_status_id"], response.json()["cw_resolved_status_id"]) == (21, 21)
    assert stored(account_a) == {"cw_resolved_status_id": 21}


def test_null_under_the_new_name_unsets_it(alice_api, account_a):
    alice_api.patch(SETTINGS, {"cw_escalated_status_id": 23, "resolved_status_id": 17}, format="json")

    response = alice_api.patch(SETTINGS, {"escalated_status_id": None}, format="json")

    assert response.json()["escalated_status_id"] is None and response.json()["cw_escalated_status_id"] is None
    assert stored(account_a) == {"cw_resolved_status_id": 17}


def test_a_name_and_its_alias_may_agree(alice_api, account_a):
    response = alice_api.patch(SETTINGS, {"resolved_status_id": 8, "cw_resolved_status_id": 8}, format="json")

    assert response.status_code == 200
    assert stored(account_a) == {"cw_resolved_status_id": 8}


def test_a_name_and_its_alias_that_disagree_are_a_400_and_nothing_changes(alice_api, account_a):
    alice_api.patch(SETTINGS, {"resolved_status_id": 5}, format="json")

    response = alice_api.patch(SETTINGS, {"resolved_status_id": 8, "cw_resolved_status_id": 9}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "resolved_status_id and cw_resolved_status_id name the same setting; send one of them."
    )
    assert stored(account_a) == {"cw_resolved_status_id": 5}


@pytest.mark.parametrize("value", [0, "17", True, 2**31, [1]])
def test_the_new_names_refuse_what_the_old_ones_refuse(alice_api, account_a, value):
    response = alice_api.patch(SETTINGS, {"escalated_status_id": value}, format="json")

    assert response.status_code == 400
    assert "escalated_status_id" in response.json()
    assert stored(account_a) == {}


def test_an_engineer_cannot_set_them_under_either_name(bob_api, account_a):
    for name in ("resolved_status_id", "cw_resolved_status_id"):
        assert bob_api.patch(SETTINGS, {name: 1}, format="json").status_code == 403
    assert stored(account_a) == {}
