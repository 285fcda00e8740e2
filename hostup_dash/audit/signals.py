"""Logins, failed logins, lockouts and logouts go to the audit log, beside the routed-IPv6 actions.

A locked-out username or address leaves one record per cool-off window, not one per attempt.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from hostup_dash.accounts.lockouts import login_lockout_count
from hostup_dash.core.http import client_ip

from . import services
from .models import AuditRecord

Action = AuditRecord.Action
# A login path may say more than "a password login" by setting these on the request before it logs the
# user in or out: LOGIN_AUDIT an (action, details) pair (single sign-on: its method and the provider's sub;
# a break-glass login its own action), LOGOUT_AUDIT the logout's details.
LOGIN_AUDIT = "login_audit"
LOGOUT_AUDIT = "logout_audit"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    action, details = getattr(request, LOGIN_AUDIT, None) or (Action.LOGIN, None)
    services.audit_auth_record(
        action=action,
        username=user.get_username(),
        actor=user,
        client_ip=client_ip(request) if request else None,
        request_body=details,
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.audit_auth_record(
            action=Action.LOGOUT,
            username=user.get_username(),
            actor=user,
            client_ip=client_ip(request) if request else None,
            request_body=getattr(request, LOGOUT_AUDIT, None),
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Axes's receiver runs first (its app comes first) and flags a locked-out attempt; that
    # attempt is recorded, once per window, by `_locked_out` alone.
    if getattr(request, "axes_locked_out", False):
        return
    # `credentials` has the password already masked by Django; only the username is kept.
    services.audit_auth_record(
        action=Action.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        actor=None,
        client_ip=client_ip(request) if request else None,
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    username = str(username or "")[:150]
    with transaction.atomic():
        last_window = login_lockout_count(username=username, client_ip=ip_address)
        if last_window is not None:
            services.audit_auth_record(
                action=Action.LOGIN_LOCKED_OUT,
                username=username,
                actor=None,
                client_ip=ip_address,
                request_body={"attempts_in_last_window": last_window} if last_window else None,
            )
