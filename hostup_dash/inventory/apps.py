from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "hostup_dash.inventory"
