from django.contrib import admin
from django.urls import include, path

from hostup_dash.sso import views as sso_views

urlpatterns = [
    path("", include("hostup_dash.ops.urls")),
    # Django's login and logout, with single sign-on beside the password (README "Single sign-on").
    path("accounts/login/", sso_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", sso_views.LogoutView.as_view(), name="logout"),
    path("oidc/", include("hostup_dash.sso.urls")),
    # Before the audit log's own URLs, so this prefix is never read as one of them.
    path("audit/checkpoints/", include("hostup_dash.checkpoints.urls")),
    path("audit/", include("hostup_dash.audit.urls")),
    path("bulk/", include("hostup_dash.bulk.urls")),
    path("routed-ipv6/", include("hostup_dash.pools.urls")),
    path("approvals/", include("hostup_dash.approvals.urls")),
    path("admin/", admin.site.urls),
    path("", include("hostup_dash.inventory.urls")),
]

handler500 = "hostup_dash.core.views.server_error"
