from django.apps import AppConfig


class DraftingConfig(AppConfig):
    name = "drafting"
    verbose_name = "Drafting"

    def ready(self):
        from drafting import services  # noqa: F401 — connects its receiver of sessions.signals.state_changed
