"""Checks are edited and deleted like facts (soft delete, `deleted_at`), and both say when the engineer
last edited them (`edited_at`).

Rows made before this keep what can be known: a live fact changed after it was added was edited then
(its `updated_at`; a deleted one's moved when it was deleted, so it says nothing), and an existing check
was last changed when it was recorded.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F


def backfill_times(apps, schema_editor):
    Fact = apps.get_model("ai_sessions", "Fact")
    DiagnosticCheck = apps.get_model("ai_sessions", "DiagnosticCheck")
    # created_at and updated_at of a new row differ by microseconds; an edit comes later than that.
    edited = Fact.objects.filter(deleted_at__isnull=True, updated_at__gt=F("created_at") + timedelta(seconds=1))
    edited.update(edited_at=F("updated_at"))
    DiagnosticCheck.objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("ai_sessions", "0002_one_open_session_per_ticket")]

    operations = [
        migrations.AddField(
            model_name="diagnosticcheck",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="diagnosticcheck",
            name="edited_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="diagnosticcheck",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        migrations.AddField(
            model_name="fact",
            name="edited_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_times, migrations.RunPython.noop),
    ]
