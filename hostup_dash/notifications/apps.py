from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hostup_dash.notifications"

    def ready(self) -> None:
        from . import checks, sources  # noqa: F401 - registers the deploy check, connects the signals
