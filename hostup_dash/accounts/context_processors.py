from django.http import HttpRequest

from .roles import user_role


def role(request: HttpRequest) -> dict[str, str]:
    """The signed-in user's role, for the top bar."""
    user = getattr(request, "user", None)
    return {"user_role": user_role(user) if user is not None else ""}
