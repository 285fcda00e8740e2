"""Permission checks made on the server, with every refusal audited."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from hostup_dash.audit import services as audit
from hostup_dash.core.errors import Refusal
from hostup_dash.core.http import client_ip

from .roles import user_role

PERMISSION_DENIED = "permission_denied"


def permission_required_audited(perm: str, *, action: str) -> Callable:
    """Answer 403 and write a refused audit record unless the user holds `perm`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.has_perm(perm):
                return view(request, *args, **kwargs)
            role = user_role(request.user) or "no role"
            problem = Refusal(
                code=PERMISSION_DENIED,
                title="Not allowed",
                status=403,
                detail=f"The {role} role may not do this ({perm}).",
            )
            audit.audit_refusal_record(
                actor=request.user,
                action=action,
                vps_id=kwargs.get("vps_id", ""),
                client_ip=client_ip(request),
                problem=problem,
            )
            raise PermissionDenied

        return wrapper

    return decorator
