from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Test doubles and demo data: installed in development, `make run` and the tests, never in production."""

    name = "devtools"
    verbose_name = "Development tools"
