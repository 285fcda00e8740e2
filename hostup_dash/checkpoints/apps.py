from django.apps import AppConfig


class CheckpointsConfig(AppConfig):
    name = "hostup_dash.checkpoints"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
