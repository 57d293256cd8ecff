from django.apps import AppConfig


class AiSessionsConfig(AppConfig):
    # django.contrib.sessions owns the label "sessions".
    name = "sessions"
    label = "ai_sessions"
    verbose_name = "Troubleshooting sessions"
