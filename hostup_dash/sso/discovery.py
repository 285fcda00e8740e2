"""The identity provider's endpoints and keys: read from its discovery document on first use, then kept.

Nothing is fetched at import or start-up, so the dashboard starts while the provider is down. A copy
older than MAX_AGE is read again; if that fails, the old copy serves on (endpoints rarely move).
"""

import time
from typing import Any

import jwt
import requests
from django.conf import settings

from .errors import ProviderUnavailable

DISCOVERY_PATH = "/.well-known/openid-configuration"
# What a login needs from the discovery document; each an absolute URL.
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
MAX_AGE = 3600
# Seconds the provider has to answer a discovery, key, token or userinfo request.
TIMEOUT = 10.0

# url -> (monotonic time read, document); per process.
_documents: dict[str, tuple[float, dict[str, Any]]] = {}


def _read(url: str, *, fresh: bool = False) -> dict[str, Any]:
    kept = _documents.get(url)
    if kept and not fresh and time.monotonic() - kept[0] < MAX_AGE:
        return kept[1]
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
    except (requests.RequestException, ValueError) as error:
        if kept and not fresh:
            return kept[1]
        raise ProviderUnavailable(f"{url}: {error}") from error
    _documents[url] = (time.monotonic(), document)
    return document


def provider_metadata() -> dict[str, Any]:
    """The issuer's discovery document; raises ProviderUnavailable, also when it names another issuer or
    lacks an endpoint a login needs."""
    issuer = settings.OIDC_ISSUER
    document = _read(issuer.rstrip("/") + DISCOVERY_PATH)
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"the discovery document names the issuer {document.get('issuer')!r}, not {issuer!r}")
    missing = [name for name in REQUIRED_ENDPOINTS if not is_url(document.get(name))]
    if missing:
        raise ProviderUnavailable(f"the discovery document gives no URL for {', '.join(missing)}")
    return document


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def signing_key(*, kid: str | None, alg: str) -> jwt.PyJWK | None:
    """The provider's public key of that id; the key set is read again once for an unknown id (a rotation).

    None when the provider publishes no such key. Raises ProviderUnavailable, also for a key set that is
    not one.
    """
    jwks_uri = provider_metadata()["jwks_uri"]
    for fresh in (False, True):
        keys = _read(jwks_uri, fresh=fresh).get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
            raise ProviderUnavailable(f"{jwks_uri}: not a key set (no list of keys)")
        keys = [key for key in keys if key.get("use", "sig") == "sig"]
        # A key set of one key may leave the kid out of the token.
        found = [key for key in keys if key.get("kid") == kid or (kid is None and len(keys) == 1)]
        found = [key for key in found if key.get("alg", alg) == alg]
        if found:
            try:
                return jwt.PyJWK(found[0], algorithm=alg)
            except (jwt.PyJWKError, jwt.InvalidKeyError) as error:
                raise ProviderUnavailable(f"{jwks_uri}: the key {kid!r} is not a usable {alg} key: {error}") from error
    return None
