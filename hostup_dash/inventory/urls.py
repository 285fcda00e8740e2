from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.vps_list, name="vps-list"),
    path("inventory/refresh", views.inventory_refresh, name="refresh"),
    path("vps/<str:vps_id>/", views.vps_detail, name="vps-detail"),
    path("vps/<str:vps_id>/history", views.vps_history, name="vps-history"),
    path("vps/<str:vps_id>/routed-ipv6/allocate", views.vps_ipv6_allocate, name="ipv6-allocate"),
    path("vps/<str:vps_id>/routed-ipv6/refresh-next-hop", views.vps_ipv6_refresh_next_hop, name="ipv6-refresh-next-hop"),
    path("vps/<str:vps_id>/routed-ipv6/release", views.vps_ipv6_release, name="ipv6-release"),
]
