"""One open session per ticket per account (DESIGN §4).

A database made before this rule may hold several open sessions on one ticket. The oldest keeps the
ticket; each later one is unlinked, and its intake says which ticket it was on and which session
works it, so nothing is lost and the engineer can link it again once the other session closes.
"""

from django.db import migrations, models


def unlink_later_duplicates(apps, schema_editor):
    Session = apps.get_model("ai_sessions", "Session")
    keeper = {}
    linked = Session.objects.filter(status="open", psa_ticket_id__isnull=False).order_by("created_at", "id")
    for session in linked.iterator():
        key = (session.account_id, session.psa_ticket_id)
        if key not in keeper:
            keeper[key] = session.pk
            continue
        note = (
            f"[FlowPilot] This session was linked to ticket #{session.psa_ticket_id}, which session "
            f"{keeper[key]} also works. Only one open session may work a ticket, so this one was unlinked."
        )
        intake = dict(session.intake_content or {})
        intake["text"] = f"{intake.get('text', '')}\n\n{note}".strip()
        Session.objects.filter(pk=session.pk).update(psa_ticket_id=None, intake_content=intake)


class Migration(migrations.Migration):
    dependencies = [("ai_sessions", "0001_initial")]

    operations = [
        migrations.RunPython(unlink_later_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="session",
            constraint=models.UniqueConstraint(
                condition=models.Q(("psa_ticket_id__isnull", False), ("status", "open")),
                fields=("account", "psa_ticket_id"),
                name="one_open_session_per_ticket",
            ),
        ),
    ]
