from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list, name="audit-list"),
    path("<int:record_id>/", views.audit_detail, name="audit-detail"),
    path("export.csv", views.audit_export_csv, name="audit-export-csv"),
    path("export.jsonl", views.audit_export_jsonl, name="audit-export-jsonl"),
]
