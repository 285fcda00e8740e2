"""`audit_verify --export FILE.jsonl --checkpoints DIR --public-key PUB.pem` with no database to reach."""

import json

import pytest

from hostup_dash.audit.services import audit_intent_record, audit_outcome_record
from hostup_dash.checkpoints import offline, services

from .conftest import newest_delete, records_add, rewrite_from, verify_offline

pytestmark = pytest.mark.django_db


def _export(client, tmp_path, query: str = "") -> str:
    response = client.get(f"/audit/export.jsonl{query}")
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    return str(path)


def _offline(signing, export: str):
    directory, public = str(signing.directory), str(signing.public)
    return verify_offline("--export", export, "--checkpoints", directory, "--public-key", public)


def _trail() -> None:
    records_add(3)
    services.checkpoint_create()
    records_add(3)
    services.checkpoint_create()


def test_untouched_export_verifies_without_a_database(signing, auditor_client, tmp_path):
    _trail()
    result = _offline(signing, _export(auditor_client, tmp_path))
    assert result.returncode == 0, result.stderr
    assert "the chain unbroken from the first record" in result.stdout


def test_export_of_actions_holds_their_intents_and_verifies(signing, auditor_client, make_user, tmp_path):
    # An intent is left off the audit page once its outcome repeats it, but the chain needs it.
    intent = audit_intent_record(
        actor=make_user("admin"), action="allocate", vps_id="vps_1", vps_name="web-1", request_body={}, client_ip=None
    )
    audit_outcome_record(intent=intent, outcome="succeeded", duration_ms=5)
    _trail()
    export = _export(auditor_client, tmp_path)
    assert intent.id in [json.loads(line).get("id") for line in open(export)]
    result = _offline(signing, export)
    assert result.returncode == 0, result.stderr
    assert "the chain unbroken from the first record" in result.stdout


def test_filtered_export_verifies_as_a_subset(signing, auditor_client, tmp_path):
    _trail()
    result = _offline(signing, _export(auditor_client, tmp_path, "?action=login"))
    assert result.returncode == 0, result.stderr
    assert "a filtered export" in result.stdout and "2 checkpoint heads found and matching" in result.stdout


def test_record_altered_in_the_export_file_is_caught(signing, auditor_client, tmp_path):
    _trail()
    path = _export(auditor_client, tmp_path)
    lines = open(path).read().splitlines()
    altered = {**json.loads(lines[2]), "actor_name": "mallory"}
    open(path, "w").write("\n".join([*lines[:2], json.dumps(altered), *lines[3:]]) + "\n")
    result = _offline(signing, path)
    assert result.returncode == 1
    assert offline.BAD_HASH.format(id=altered["id"]) in result.stderr


def test_export_of_a_rewritten_trail_is_caught(signing, auditor_client, tmp_path):
    _trail()
    rewrite_from(2)
    result = _offline(signing, _export(auditor_client, tmp_path))
    assert result.returncode == 1
    assert "Checkpoint #1 states record" in result.stderr


def test_export_of_a_trail_cut_after_a_checkpoint_is_caught(signing, auditor_client, tmp_path):
    _trail()
    newest_delete(2)
    result = _offline(signing, _export(auditor_client, tmp_path))
    assert result.returncode == 1
    assert "Checkpoint #2 states a chain of 7 records" in result.stderr
