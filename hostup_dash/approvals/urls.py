from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("<int:change_request_id>/", views.request_detail, name="request-detail"),
    path("<int:change_request_id>/approve", views.request_approve, name="request-approve"),
    path("<int:change_request_id>/reject", views.request_reject, name="request-reject"),
]
