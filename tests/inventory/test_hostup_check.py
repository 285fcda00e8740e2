from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import READ_TOKEN


def test_full_key_has_every_scope(hostup):
    out = StringIO()

    summary = call_command("hostup_check", stdout=out)

    assert "every scope" in out.getvalue() + (summary or "")
    assert out.getvalue().count(" ok") == 4
    assert "audit:read     ok" in out.getvalue()
    assert all(call.status in (200, 404) for call in hostup.calls)


def test_read_only_key_lacks_write_network(hostup, settings):
    settings.HOSTUP_API_TOKEN = READ_TOKEN
    out = StringIO()

    with pytest.raises(CommandError, match="lacks: write:network, audit:read"):
        call_command("hostup_check", stdout=out)

    assert "write:network  MISSING (403 forbidden)" in out.getvalue()
    assert "audit:read     MISSING (403 forbidden)" in out.getvalue()


def test_key_without_audit_read_is_told(hostup, settings):
    settings.HOSTUP_API_TOKEN = hostup.config.no_audit_token
    out = StringIO()

    with pytest.raises(CommandError, match=r"lacks: audit:read\.$"):
        call_command("hostup_check", stdout=out)

    assert out.getvalue().count(" ok") == 3
    assert "audit:read     MISSING (403 forbidden)" in out.getvalue()


def test_unknown_key_is_said_plainly(hostup, settings):
    settings.HOSTUP_API_TOKEN = "no-such-key"

    with pytest.raises(CommandError, match="does not accept the API key"):
        call_command("hostup_check", stdout=StringIO())
