from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hostup_dash.notifications"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the audit and inventory signals
