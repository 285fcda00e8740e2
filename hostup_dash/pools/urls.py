from django.urls import path

from . import views

app_name = "pools"

urlpatterns = [
    path("", views.pool_list, name="pool-list"),
    path("routes/create", views.route_create, name="route-create"),
    path("routes/<str:route_id>/delete", views.route_delete, name="route-delete"),
    path("pools/allocate", views.pool_allocate, name="pool-allocate"),
    path("pools/<str:pool_id>/release", views.pool_release, name="pool-release"),
    path("vps/<str:vps_id>/", views.vps_account_routes, name="vps-routes"),
]
