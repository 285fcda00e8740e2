from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "hostup_dash.approvals"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the settings check
