from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hostup_dash.accounts"
