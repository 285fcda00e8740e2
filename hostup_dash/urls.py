from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hostup_dash.accounts.forms import LoginForm

urlpatterns = [
    path("", include("hostup_dash.ops.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the audit log's own URLs, so this prefix is never read as one of them.
    path("audit/checkpoints/", include("hostup_dash.checkpoints.urls")),
    path("audit/", include("hostup_dash.audit.urls")),
    path("bulk/", include("hostup_dash.bulk.urls")),
    path("admin/", admin.site.urls),
    path("", include("hostup_dash.inventory.urls")),
]

handler500 = "hostup_dash.core.views.server_error"
