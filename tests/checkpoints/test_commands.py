"""audit_keygen and audit_checkpoint as an operator runs them."""

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hostup_dash.checkpoints.signing import key_fingerprint, public_key_load

from .conftest import records_add


def test_keygen_prints_the_public_keys_fingerprint(tmp_path):
    output = call_command("audit_keygen", str(tmp_path / "k.pem"), stdout=StringIO())
    assert key_fingerprint(public_key_load(tmp_path / "k.pem.pub")) in output


def test_keygen_writes_the_private_key_for_its_owner_only(tmp_path):
    call_command("audit_keygen", str(tmp_path / "k.pem"), stdout=StringIO())
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600


def test_keygen_never_overwrites_a_key(tmp_path):
    (tmp_path / "k.pem").write_text("old")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("audit_keygen", str(tmp_path / "k.pem"), stdout=StringIO())


@pytest.mark.django_db
def test_checkpoint_command_signs_the_head(signing):
    records_add(2)
    assert call_command("audit_checkpoint", stdout=StringIO()).startswith("Checkpoint #1: 2 records")


@pytest.mark.django_db
def test_checkpoint_command_without_a_key_says_checkpoints_are_off(settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    with pytest.raises(CommandError, match="Checkpoints are off"):
        call_command("audit_checkpoint", stdout=StringIO())
