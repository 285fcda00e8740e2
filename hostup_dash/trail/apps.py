from django.apps import AppConfig


class TrailConfig(AppConfig):
    name = "hostup_dash.trail"
    verbose_name = "The complete trail (HostUp's audit log)"
