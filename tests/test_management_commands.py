import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import Account, AccountSettings, Membership
from devtools.demo import DEMO_ACCOUNT
from drafting.kinds import DraftKind
from handoff.services import handoff_post
from psa.models import PsaConnection
from sessions.models import DiagnosticCheck, Fact, ScriptGeneration, ScriptTemplate, Session, SuggestedFix

User = get_user_model()


def sign_in_request():
    """django-axes counts every sign-in against its request's username and address."""
    return RequestFactory().post("/accounts/login/")


def counts():
    return (Account.objects.count(), User.objects.count(), Membership.objects.count(), AccountSettings.objects.count())


class TestCreateAccount:
    def test_it_creates_a_tenant_with_its_first_admin(self, db, capsys):
        call_command("create_account", "Acme MSP", "--admin", "alice", "--password", "a-long-password")
        account = Account.objects.get(name="Acme MSP")
        membership = Membership.objects.get(user__username="alice")
        assert membership.account == account
        assert membership.role == Membership.Role.ADMIN
        assert membership.user.is_staff and not membership.user.is_superuser
        assert AccountSettings.objects.get(account=account).preferences == {}
        assert authenticate(sign_in_request(), username="alice", password="a-long-password") == membership.user
        assert "Created account 'Acme MSP' with admin 'alice'." in capsys.readouterr().out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["Acme MSP", "--admin", "alice", "--password", "another-long-one"], "already exists"),
            (["Other MSP", "--admin", "alice", "--password", "another-long-one"], "username 'alice' is taken"),
            (["Other MSP", "--admin", "dave", "--password", "short"], "too short"),
            (["   ", "--admin", "dave", "--password", "another-long-one"], "needs a name"),
        ],
    )
    def test_it_refuses_clearly_and_creates_nothing(self, db, args, message):
        call_command("create_account", "Acme MSP", "--admin", "alice", "--password", "a-long-password")
        before = counts()
        with pytest.raises(CommandError, match=message):
            call_command("create_account", *args)
        assert counts() == before


class TestAddMember:
    def test_it_adds_an_engineer_who_can_sign_in(self, db, capsys):
        call_command("create_account", "Acme MSP", "--admin", "alice", "--password", "a-long-password")
        call_command("add_member", "acme msp", "bob", "--password", "bobs-long-password")

        membership = Membership.objects.get(user__username="bob")
        assert (membership.account.name, membership.role) == ("Acme MSP", Membership.Role.ENGINEER)
        assert not membership.user.is_staff  # engineers work sessions; Django admin is for account admins
        assert authenticate(sign_in_request(), username="bob", password="bobs-long-password") == membership.user
        assert "Added 'bob' to 'Acme MSP' as engineer." in capsys.readouterr().out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["Nowhere MSP", "bob", "--password", "bobs-long-password"], "There is no account named 'Nowhere MSP'"),
            (["Acme MSP", "alice", "--password", "bobs-long-password"], "username 'alice' is taken"),
            (["Acme MSP", "bob", "--password", "short"], "too short"),
        ],
    )
    def test_it_refuses_clearly_and_adds_nobody(self, db, args, message):
        call_command("create_account", "Acme MSP", "--admin", "alice", "--password", "a-long-password")
        before = counts()
        with pytest.raises(CommandError, match=message):
            call_command("add_member", *args)
        assert counts() == before


class TestSeedDemo:
    def test_it_seeds_a_usable_demo_account(self, db, capsys):
        call_command("seed_demo")
        account = Account.objects.get(name=DEMO_ACCOUNT)
        roles = dict(account.memberships.values_list("user__username", "role"))
        assert roles == {"demo": "engineer", "demo-admin": "admin"}
        for username in roles:
            assert authenticate(sign_in_request(), username=username, password="flowpilot-demo") is not None
        assert set(ScriptTemplate.objects.filter(account=account).values_list("slug", flat=True)) == {
            "map-network-drive",
            "clear-print-queue",
            "reset-user-mfa",
        }
        sessions = Session.objects.filter(account=account)
        assert sessions.count() == 3
        assert Fact.objects.filter(session__account=account).count() == 7
        assert DiagnosticCheck.objects.filter(session__account=account).count() == 2
        assert SuggestedFix.objects.filter(session__account=account, superseded_at__isnull=True).count() == 3
        out = capsys.readouterr().out
        assert "engineer 'demo'" in out
        assert "'flowpilot-demo'" in out

    def test_the_demo_password_parameter_is_stored_redacted(self, db):
        call_command("seed_demo")
        generation = ScriptGeneration.objects.get()
        assert generation.parameters_used["password"] == "[REDACTED]"
        stored = list(ScriptGeneration.objects.values_list("parameters_used", "redacted_script"))
        assert "Winter-2026!demo" not in repr(stored)

    def test_running_it_again_creates_nothing_and_prints_the_logins(self, db, capsys):
        call_command("seed_demo")
        before = (counts(), Session.objects.count(), Fact.objects.count())
        capsys.readouterr()
        call_command("seed_demo")
        assert (counts(), Session.objects.count(), Fact.objects.count()) == before
        out = capsys.readouterr().out
        assert "already exists" in out
        assert "engineer 'demo'" in out

    def test_with_the_private_hosts_opt_in_the_demo_posts_to_the_simulator(self, db, settings, simulator, capsys):
        settings.FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = True
        call_command("seed_demo", "--simulator-url", simulator.url)
        account = Account.objects.get(name=DEMO_ACCOUNT)
        session = Session.objects.get(account=account, psa_ticket_id=48227)
        engineer = User.objects.get(username="demo")

        handoff = handoff_post(
            session=session, kind=DraftKind.RESOLUTION_NOTE, markdown="## Problem\n\nx", user=engineer
        )

        assert handoff.state == "succeeded"
        assert (handoff.verified_status_name, handoff.status_verified) == ("Resolved", True)
        assert len(simulator.notes_for(48227)) == 1
        assert f"posts to the ConnectWise simulator at {simulator.url}" in capsys.readouterr().out

    def test_without_the_opt_in_it_says_why_there_is_no_psa_connection(self, db, capsys):
        call_command("seed_demo")

        assert not PsaConnection.objects.exists()
        assert "FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS=1" in capsys.readouterr().out


def test_claude_stub_serves_drafts_the_sdk_accepts(monkeypatch, capsys):
    import anthropic

    from devtools.claude_stub import ClaudeStub

    served = []

    def serve_until_ctrl_c(stub):
        served.append(stub)
        raise KeyboardInterrupt

    monkeypatch.setattr(ClaudeStub, "serve_forever", serve_until_ctrl_c)

    call_command("claude_stub", "--port", "0")

    assert "ANTHROPIC_BASE_URL=http://127.0.0.1:" in capsys.readouterr().out
    monkeypatch.undo()
    with ClaudeStub() as stub:
        client = anthropic.Anthropic(api_key="k", base_url=stub.url, max_retries=0)
        answer = client.messages.create(
            model="claude-sonnet-5-5", max_tokens=50, messages=[{"role": "user", "content": "escalation package"}]
        )
    assert answer.content[0].text.startswith("## Problem")
    assert len(served) == 1
