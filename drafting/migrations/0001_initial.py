"""Draft and DraftEdit move here from the handoff app. Their tables, rows and indexes stay as they are
(`handoff_draft`, `handoff_draftedit`): only Django's idea of which app owns them changes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KINDS = [("resolution_note", "Resolution note"), ("escalation_package", "Escalation package")]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("ai_sessions", "0001_initial"),
        ("handoff", "0003_draft_edit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Draft",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=KINDS, max_length=32)),
                        ("state_version", models.PositiveIntegerField()),
                        ("markdown", models.TextField()),
                        ("drafted_by", models.CharField(help_text='The model id, or "offline".', max_length=100)),
                        ("offline_reason", models.CharField(blank=True, default="", max_length=300)),
                        ("model_calls", models.PositiveSmallIntegerField(default=0)),
                        ("input_tokens", models.PositiveIntegerField(default=0)),
                        ("output_tokens", models.PositiveIntegerField(default=0)),
                        ("cache_creation_input_tokens", models.PositiveIntegerField(default=0)),
                        ("cache_read_input_tokens", models.PositiveIntegerField(default=0)),
                        ("latency_ms", models.PositiveIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="drafts",
                                to="ai_sessions.session",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "handoff_draft",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["session", "kind", "-state_version"], name="handoff_dra_session_e9fbe0_idx"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="DraftEdit",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=KINDS, max_length=32)),
                        ("markdown", models.TextField()),
                        (
                            "based_on_state_version",
                            models.PositiveIntegerField(help_text="The session state of the draft it edits."),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="draft_edits",
                                to="ai_sessions.session",
                            ),
                        ),
                        (
                            "updated_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "handoff_draftedit",
                        "ordering": ["-updated_at"],
                        "constraints": [
                            models.UniqueConstraint(fields=("session", "kind"), name="one_draft_edit_per_session_kind")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
