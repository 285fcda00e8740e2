from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hostup_dash.audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the login/logout receivers
