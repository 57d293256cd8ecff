"""`seed_demo` seeds a demo account per PSA besides the ConnectWise one, each with its admin login and sessions
on the simulators' demo tickets; with the private-hosts opt-in each posts to its own simulator."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Account
from drafting.kinds import DraftKind
from handoff.services import handoff_post
from psa.models import PsaConnection
from sessions.models import ScriptGeneration, Session
from tests.support.psas import AUTOTASK, HALOPSA

DEMOS = {
    "autotask": ("Northwind IT (Autotask demo)", "demo-autotask"),
    "halopsa": ("Northwind IT (HaloPSA demo)", "demo-halo"),
}


def test_it_seeds_an_account_per_psa_with_a_login_and_sessions_on_demo_tickets(db, capsys):
    call_command("seed_demo")

    for name, login in DEMOS.values():
        account = Account.objects.get(name=name)
        assert dict(account.memberships.values_list("user__username", "role")) == {login: "admin"}
        assert authenticate(RequestFactory().post("/accounts/login/"), username=login, password="flowpilot-demo")
        tickets = set(Session.objects.filter(account=account).values_list("psa_ticket_id", flat=True))
        assert tickets == {48227, 48241}
    assert ScriptGeneration.objects.count() == 1  # the ConnectWise demo's, only
    out = capsys.readouterr().out
    assert "'demo-autotask' (Autotask)" in out and "'demo-halo' (HaloPSA)" in out
    assert not PsaConnection.objects.exists()


@pytest.mark.parametrize("psa", [AUTOTASK, HALOPSA], ids=["autotask", "halopsa"])
def test_with_the_opt_in_each_demo_posts_to_its_simulator(db, settings, psa, capsys):
    settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
    name, login = DEMOS[psa.provider]
    option = {"autotask": "--autotask-url", "halopsa": "--halo-url"}[psa.provider]
    with psa.running() as simulator:
        call_command("seed_demo", option, simulator.url)
        session = Session.objects.get(account__name=name, psa_ticket_id=48227)
        user = get_user_model().objects.get(username=login)

        handoff = handoff_post(session=session, kind=DraftKind.RESOLUTION_NOTE, markdown="## Problem\n\nx", user=user)

        assert handoff.state == "succeeded", handoff.error_message
        assert (handoff.verified_status_name, handoff.status_verified) == (psa.resolved_status[1], True)
        assert len(simulator.notes_for(48227)) == 1
    display_name = PsaConnection.objects.get(account__name=name).spec.provider_class.display_name
    assert f"posts to the {display_name} simulator at {simulator.url}" in capsys.readouterr().out
