"""Who a user is at the identity provider, and which accounts may still log in with a password."""

from django.conf import settings
from django.db import models


class OidcIdentity(models.Model):
    """A user as the provider knows them: its issuer and its `sub`, never the e-mail (e-mails get reused)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "OpenID Connect identity"
        verbose_name_plural = "OpenID Connect identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class LoginPolicy(models.Model):
    """How a user may log in besides single sign-on; a row exists only once someone ticked the box."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="login_policy"
    )
    is_break_glass = models.BooleanField(
        "Break-glass account",
        default=False,
        help_text="May use a password (/accounts/login/?local=1) while LOCAL_LOGIN is off; audited.",
    )

    class Meta:
        verbose_name = "login policy"
        verbose_name_plural = "login policies"

    def __str__(self) -> str:
        return "break-glass account" if self.is_break_glass else "single sign-on only"
