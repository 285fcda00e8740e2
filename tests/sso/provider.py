"""A real OpenID Connect provider for the tests: node-oidc-provider (tests/sso/provider/server.mjs) run
with Node.js on a free port, and a requests session that plays the browser on its pages."""

import html
import json
import re
import select
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, urljoin

import requests

HERE = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "hostup-dash"
CLIENT_SECRET = "test-client-secret"
START_TIMEOUT = 20.0
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
XSRF = re.compile(r'name="xsrf" value="([^"]+)"')


class OidcProvider:
    """The provider process, its test knobs, and its login and logout pages driven like a browser would."""

    def __init__(self, *, dashboard_urls: list[str]) -> None:
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(f"The test provider is not installed: run `make test`, or `npm ci` in {HERE}.")
        config = {
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "redirectUris": [f"{url}/oidc/callback/" for url in dashboard_urls],
            "postLogoutRedirectUris": [f"{url}/accounts/login/" for url in dashboard_urls],
        }
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            ["node", str(HERE / "server.mjs"), json.dumps(config)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.issuer = self._wait_ready()
        # The person's browser at the provider: it keeps the provider's session cookie.
        self.browser = requests.Session()

    def _wait_ready(self) -> str:
        """The issuer, from the one line the script prints once it listens (on a port the system picked)."""
        readable, _, _ = select.select([self._process.stdout], [], [], START_TIMEOUT)
        line = self._process.stdout.readline() if readable else ""
        if not line.startswith("ready http://"):
            self.stop()
            self._log.seek(0)
            raise RuntimeError(f"The test provider did not start: {line!r} {self._log.read().decode()[-2000:]}")
        return line.split()[1]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process.stdout.close()
        self._log.close()

    # --- test knobs ---------------------------------------------------------------------------------
    def user_set(self, sub: str, **claims) -> None:
        """The person `sub` at the provider, with these claims (groups, preferred_username, email...)."""
        requests.put(f"{self.issuer}/test/users/{quote(sub, safe='')}", json=claims, timeout=5).raise_for_status()

    def user_remove(self, sub: str) -> None:
        """The person leaves: the provider no longer knows them, their provider session included."""
        requests.delete(f"{self.issuer}/test/users/{quote(sub, safe='')}", timeout=5).raise_for_status()

    def impostor_keys(self) -> None:
        """The provider's key set from now on holds another key under the signing key's kid."""
        requests.post(f"{self.issuer}/test/jwks/impostor", timeout=5).raise_for_status()

    def discovery_reads(self) -> int:
        """How often the discovery document was read."""
        response = requests.get(f"{self.issuer}/test/discovery-reads", timeout=5)
        response.raise_for_status()
        return response.json()

    # --- the browser's part -------------------------------------------------------------------------
    def follow(self, url: str, *, login: str | None = None) -> str:
        """Go to `url` at the provider and follow its redirects, signing in as `login` when its login form
        shows; return the first address outside the provider (the dashboard's callback)."""
        response = self.browser.get(url, allow_redirects=False, timeout=10)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["Location"])
                if not location.startswith(self.issuer):
                    return location
                response = self.browser.get(location, allow_redirects=False, timeout=10)
            elif login is not None and 'name="prompt" value="login"' in response.text:
                response = self._submit(response, {"prompt": "login", "login": login, "password": "any"})
            elif "xsrf" in response.text:  # the provider's "Do you want to sign out?" page
                response = self._submit(response, {"xsrf": XSRF.search(response.text).group(1), "logout": "yes"})
            else:
                raise AssertionError(f"The provider answered {response.status_code}: {response.text[:1000]}")
        raise AssertionError("The provider kept redirecting")

    def _submit(self, page: requests.Response, data: dict[str, str]) -> requests.Response:
        action = html.unescape(FORM_ACTION.search(page.text).group(1))
        return self.browser.post(urljoin(page.url, action), data=data, allow_redirects=False, timeout=10)
