"""A view that fails, for the logging tests."""

from django.urls import path


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom", boom)]
