"""`audit_verify --checkpoints DIR` against the database, after each attack the issue names."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from hostup_dash.checkpoints import services, verify
from hostup_dash.checkpoints.signing import Statement, key_id, statement_sign

from .conftest import newest_delete, records_add, rewrite_from

pytestmark = pytest.mark.django_db


def _verify(signing) -> str:
    return call_command("audit_verify", checkpoints=str(signing.directory), stdout=StringIO())


def _checkpoints(*batches: int) -> None:
    """Records in batches, a checkpoint after each."""
    for count in batches:
        records_add(count)
        services.checkpoint_create()


def test_untouched_trail_verifies_with_its_checkpoints(signing):
    _checkpoints(3, 2)
    records_add(1)
    assert _verify(signing) == "6 records, chain intact; 2 of 2 checkpoints found in it"


def test_deleting_the_newest_records_after_a_checkpoint_is_caught(signing):
    _checkpoints(5)
    newest_delete(2)
    with pytest.raises(CommandError) as caught:
        _verify(signing)
    assert str(caught.value) == verify.CUT_OFF.format(number=1, length=5, head_id=_head_id(signing, 1), found=3)


def test_rewrite_from_a_record_on_is_caught_by_the_checkpoint_that_covered_it(signing):
    _checkpoints(3, 3)
    records_add(2)
    rewrite_from(5)
    with pytest.raises(CommandError, match=r"^Checkpoint #2: position 6 of the chain holds record"):
        _verify(signing)


def test_altered_checkpoint_file_is_caught(signing):
    _checkpoints(3, 2)
    path = signing.directory / verify.checkpoint_file_name(1)
    content = json.loads(path.read_text())
    path.write_text(json.dumps({**content, "chain_length": 2}))
    with pytest.raises(CommandError) as caught:
        _verify(signing)
    assert str(caught.value) == verify.BAD_SIGNATURE.format(number=1, name=path.name)


def test_checkpoint_dropped_from_the_middle_is_caught(signing):
    _checkpoints(1, 1, 1)
    (signing.directory / verify.checkpoint_file_name(2)).unlink()
    with pytest.raises(CommandError) as caught:
        _verify(signing)
    assert str(caught.value) == verify.MISSING.format(number=2, before=1, name=verify.checkpoint_file_name(3))


def _resign(signing, number: int, private_key: Ed25519PrivateKey, *, as_key_id: str | None = None) -> None:
    path = signing.directory / verify.checkpoint_file_name(number)
    content = json.loads(path.read_text())
    content.pop("signature")
    statement = Statement(**{**content, "key_id": as_key_id or key_id(private_key.public_key())})
    path.write_text(verify.checkpoint_file_text(statement, statement_sign(statement, private_key)))


def test_checkpoint_signed_with_another_key_is_caught(signing):
    _checkpoints(2, 2)
    other = Ed25519PrivateKey.generate()
    _resign(signing, 2, other)
    with pytest.raises(CommandError) as caught:
        _verify(signing)
    name, untrusted = verify.checkpoint_file_name(2), key_id(other.public_key())
    assert str(caught.value) == verify.UNTRUSTED_KEY.format(number=2, name=name, key_id=untrusted)


def test_checkpoint_signed_with_another_key_under_our_key_id_is_caught(signing):
    _checkpoints(2, 2)
    ours = json.loads((signing.directory / verify.checkpoint_file_name(1)).read_text())["key_id"]
    _resign(signing, 2, Ed25519PrivateKey.generate(), as_key_id=ours)
    with pytest.raises(CommandError) as caught:
        _verify(signing)
    assert str(caught.value) == verify.BAD_SIGNATURE.format(number=2, name=verify.checkpoint_file_name(2))


def test_old_keys_given_with_public_key_keep_checkpoints_verifiable_after_rotation(signing, settings, tmp_path):
    _checkpoints(2)
    call_command("audit_keygen", str(tmp_path / "next.pem"), stdout=StringIO())
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "next.pem")
    _checkpoints(2)
    keys = [str(signing.public), str(tmp_path / "next.pem.pub")]
    result = call_command("audit_verify", checkpoints=str(signing.directory), public_key=keys, stdout=StringIO())
    assert result == "4 records, chain intact; 2 of 2 checkpoints found in it"


def _head_id(signing, number: int) -> int:
    return json.loads((signing.directory / verify.checkpoint_file_name(number)).read_text())["head_id"]
