from django.conf import settings

from hostup_dash.accounts.forms import LoginForm

BREAK_GLASS_ONLY = (
    "Password logins are off: log in with {provider}. Only a break-glass account may use a password here, "
    "with its correct username and password."
)


class PasswordLoginForm(LoginForm):
    """The password form; with LOCAL_LOGIN off its refusal says that only break-glass accounts may use it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not settings.LOCAL_LOGIN:
            message = BREAK_GLASS_ONLY.format(provider=settings.OIDC_PROVIDER_NAME)
            self.error_messages = {**self.error_messages, "invalid_login": message}
