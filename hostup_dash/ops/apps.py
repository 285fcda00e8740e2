from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "hostup_dash.ops"
