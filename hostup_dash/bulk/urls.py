from django.urls import path

from . import views

app_name = "bulk"

urlpatterns = [
    path("", views.bulk_run_list, name="run-list"),
    path("refresh-next-hop", views.bulk_refresh_next_hop, name="refresh-next-hop"),
    path("allocate", views.bulk_allocate, name="allocate"),
    path("<int:run_id>/", views.bulk_run_detail, name="run-detail"),
    path("<int:run_id>/cancel", views.bulk_run_cancel, name="run-cancel"),
]
