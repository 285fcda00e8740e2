from django.urls import path, register_converter

from hostup_dash.core.converters import VpsIdConverter

from . import views

app_name = "inventory"
register_converter(VpsIdConverter, "vps_id")

urlpatterns = [
    path("", views.vps_list, name="vps-list"),
    path("inventory/refresh", views.inventory_refresh, name="refresh"),
    path("vps/<vps_id:vps_id>/", views.vps_detail, name="vps-detail"),
    path("vps/<vps_id:vps_id>/history", views.vps_history, name="vps-history"),
    path("vps/<vps_id:vps_id>/routed-ipv6/allocate", views.vps_ipv6_allocate, name="ipv6-allocate"),
    path(
        "vps/<vps_id:vps_id>/routed-ipv6/refresh-next-hop",
        views.vps_ipv6_refresh_next_hop,
        name="ipv6-refresh-next-hop",
    ),
    path("vps/<vps_id:vps_id>/routed-ipv6/release", views.vps_ipv6_release, name="ipv6-release"),
]
