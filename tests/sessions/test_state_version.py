"""state_version rises by exactly one on every write that feeds a draft, and on nothing else."""

from django.urls import reverse

from sessions import selectors, services
from sessions.models import DiagnosticCheck, Session, SuggestedFix

PARAMETERS = {"share": "\\\\fs\\x", "letter": "S", "password": "pw-secret-1"}


def version(session) -> int:
    return Session.objects.get(pk=session.pk).state_version


class TestWritesThatFeedADraft:
    def test_it_starts_at_one(self, session_a):
        assert version(session_a) == 1

    def test_it_rises_when_a_fact_is_added(self, session_a, bob):
        services.fact_add(session=session_a, user=bob, text="New fact")
        assert version(session_a) == 2

    def test_it_rises_when_a_fact_is_edited(self, fact_a):
        before = version(fact_a.session)
        services.fact_update(fact=fact_a, changes={"text": "Edited"})
        assert version(fact_a.session) == before + 1

    def test_it_rises_when_a_fact_is_deleted(self, fact_a):
        before = version(fact_a.session)
        services.fact_delete(fact=fact_a)
        assert version(fact_a.session) == before + 1

    def test_it_rises_when_a_fix_is_set(self, session_a, bob):
        services.fix_set(session=session_a, user=bob, title="Fix", confidence_pct=50)
        assert version(session_a) == 2

    def test_it_rises_when_a_fix_is_replaced(self, fix_a, bob):
        before = version(fix_a.session)
        services.fix_set(session=fix_a.session, user=bob, title="Better fix", confidence_pct=80)
        assert version(fix_a.session) == before + 1

    def test_it_rises_when_a_fix_outcome_changes(self, fix_a):
        before = version(fix_a.session)
        services.fix_record_outcome(fix=fix_a, outcome=SuggestedFix.Outcome.APPLIED_FAILED)
        assert version(fix_a.session) == before + 1

    def test_it_rises_when_a_script_is_generated(self, session_a, bob, template_a):
        services.script_generate(session=session_a, user=bob, template=template_a, parameters=PARAMETERS)
        assert version(session_a) == 2

    def test_it_rises_when_a_check_is_recorded(self, session_a):
        services.check_record(session=session_a, name="ping", result=DiagnosticCheck.Result.PASSED)
        assert version(session_a) == 2

    def test_it_rises_when_session_fields_are_edited(self, session_a):
        services.session_update(session=session_a, changes={"title": "Renamed", "intake_text": "More"})
        assert version(session_a) == 2

    def test_it_rises_once_per_write_from_the_api(self, bob_api, session_a):
        url = reverse("api-facts", args=[session_a.pk])
        for n in range(3):
            assert bob_api.post(url, {"text": f"fact {n}"}, format="json").status_code == 201
        assert version(session_a) == 4


class TestEverythingElse:
    def test_it_stays_on_reads(self, bob_api, session_a, fact_a, fix_a):
        before = version(session_a)
        bob_api.get(reverse("api-session", args=[session_a.pk]))
        bob_api.get(reverse("api-sessions"))
        bob_api.get(reverse("api-facts", args=[session_a.pk]))
        bob_api.get(reverse("api-fixes", args=[session_a.pk]))
        list(selectors.session_detail_queryset(account=session_a.account))
        assert version(session_a) == before

    def test_it_stays_when_an_edit_changes_nothing(self, session_a, fact_a, fix_a):
        before = version(session_a)
        services.session_update(session=session_a, changes={"title": session_a.title})
        services.fact_update(fact=fact_a, changes={"text": fact_a.text})
        services.fix_record_outcome(fix=fix_a, outcome=fix_a.outcome)
        assert version(session_a) == before

    def test_it_stays_when_a_write_is_refused(self, bob_api, session_a, fix_a):
        before = version(session_a)
        url = reverse("api-fix", args=[session_a.pk, fix_a.pk])
        assert bob_api.patch(url, {"outcome": "applied_partial"}, format="json").status_code == 400
        assert bob_api.post(reverse("api-facts", args=[session_a.pk]), {"text": ""}, format="json").status_code == 400
        assert version(session_a) == before

    def test_it_stays_when_a_template_is_added_or_settings_change(self, alice_api, session_a):
        before = version(session_a)
        alice_api.post(reverse("api-script-templates"), {"name": "T", "slug": "t", "body": "echo hi"}, format="json")
        alice_api.patch(reverse("api-account-settings"), {"cw_resolved_status_id": 5}, format="json")
        assert version(session_a) == before

    def test_another_sessions_writes_leave_it_alone(self, session_a, account_a, bob):
        other = services.session_create(account=account_a, user=bob, title="Other")
        services.fact_add(session=other, user=bob, text="Elsewhere")
        assert version(session_a) == 1
