from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hostup_dash.audit"
