from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hostup_dash.core"
