"""Draft and DraftEdit now belong to the drafting app (its 0001 takes them over, tables unchanged).
Handoff.draft points at drafting.Draft, the same table, so the database is not touched; the content
types move too, so admin permissions and history follow the models."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("draft", "draftedit")


def move_content_types(apps, schema_editor, old="handoff", new="drafting"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="drafting", new="handoff")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("drafting", "0001_initial"),
        ("handoff", "0003_draft_edit"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="handoff",
                    name="draft",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="handoffs",
                        to="drafting.draft",
                    ),
                ),
                migrations.DeleteModel(name="Draft"),
                migrations.DeleteModel(name="DraftEdit"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
