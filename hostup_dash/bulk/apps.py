from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "hostup_dash.bulk"
