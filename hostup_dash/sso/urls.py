from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    # Reached without a session: they are how one begins.
    path("authenticate/", login_not_required(views.SsoAuthenticateView.as_view()), name="authenticate"),
    path("callback/", login_not_required(views.SsoCallbackView.as_view()), name="callback"),
]
