from django.apps import AppConfig


class PoolsConfig(AppConfig):
    name = "hostup_dash.pools"
    verbose_name = "Account routes"
