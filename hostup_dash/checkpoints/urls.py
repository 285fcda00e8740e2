from django.urls import path

from . import views

app_name = "checkpoints"

urlpatterns = [
    path("", views.checkpoint_list, name="checkpoint-list"),
]
