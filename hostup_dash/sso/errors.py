"""Why a single sign-on attempt was refused: a code for the audit log, words for the person."""

from typing import Any


class ProviderUnavailable(Exception):
    """The identity provider's discovery document or keys could not be read."""


class SsoRefused(Exception):
    """A login through the identity provider that did not go through.

    `reason` is the code the audit record keeps; `message` is what the page says; `details` are the
    facts worth keeping (the provider's sub, the groups seen), never a token. `session_ends` is False
    for an answer that belongs to no login of this browser: it must not log out whoever is logged in.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        status: int = 400,
        details: dict[str, Any] | None = None,
        session_ends: bool = True,
    ):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.details = details or {}
        self.session_ends = session_ends


STATE_MISMATCH = "state_mismatch"
BAD_TOKEN = "bad_token"
UNMAPPED_GROUPS = "unmapped_groups"
GROUPS_OVERAGE = "groups_overage"
INACTIVE_USER = "inactive_user"
PROVIDER_ERROR = "provider_error"
PROVIDER_UNREACHABLE = "provider_unreachable"
TOKEN_EXCHANGE_FAILED = "token_exchange_failed"
NOT_COMPLETED = "not_completed"

STATE_MISMATCH_MESSAGE = (
    "This login answer does not belong to a login started in this browser (its state is unknown or was "
    "already used). Start again from the login page."
)
BAD_TOKEN_MESSAGE = "The identity provider's answer could not be verified, so it was not trusted."
UNMAPPED_MESSAGE = "Your account at {provider} is in no group that gives a role on this dashboard."
# The role claim was left out of the token and only named as a distributed claim (Entra ID's "overage").
GROUPS_OVERAGE_MESSAGE = (
    "{provider} left your groups out of the sign-in because your account is in too many groups, so this "
    "dashboard cannot tell which role you have. An admin can make {provider} send only the groups assigned "
    "to this application (in Entra ID: Token configuration → groups claim → “Groups assigned to the "
    "application”, then assign the mapped groups to the app)."
)
INACTIVE_MESSAGE = "Your dashboard account is deactivated. Ask an admin."
PROVIDER_ERROR_MESSAGE = "{provider} did not log you in: {error}."
PROVIDER_UNREACHABLE_MESSAGE = (
    "{provider} could not be reached, or its answer could not be used. Try again in a moment."
)
TOKEN_EXCHANGE_MESSAGE = "{provider} refused to complete the login ({error}). Start again from the login page."
NOT_COMPLETED_MESSAGE = "The login did not complete. Start again from the login page."
