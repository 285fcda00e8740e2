"""Logins, failed logins, lockouts and logouts go to the audit log, beside the routed-IPv6 actions."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from hostup_dash.core.http import client_ip

from . import services
from .models import AuditRecord

Action = AuditRecord.Action


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    services.audit_auth_record(
        action=Action.LOGIN, username=user.get_username(), actor=user, client_ip=client_ip(request) if request else None
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.audit_auth_record(
            action=Action.LOGOUT,
            username=user.get_username(),
            actor=user,
            client_ip=client_ip(request) if request else None,
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password already masked by Django; only the username is kept.
    services.audit_auth_record(
        action=Action.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        actor=None,
        client_ip=client_ip(request) if request else None,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    services.audit_auth_record(
        action=Action.LOGIN_LOCKED_OUT, username=str(username or "")[:150], actor=None, client_ip=ip_address
    )
