"""checkpoint_create: what a checkpoint states, where its copies go, and when none is made."""

import json
import logging

import pytest
from django.db import DatabaseError, transaction

from hostup_dash.audit.models import AuditRecord
from hostup_dash.checkpoints import services, verify
from hostup_dash.checkpoints.models import Checkpoint

from .conftest import records_add

pytestmark = pytest.mark.django_db


def test_checkpoint_states_the_chain_length_and_its_newest_record(signing):
    records_add(3)
    checkpoint = services.checkpoint_create()
    head = AuditRecord.objects.order_by("-id").first()
    assert (checkpoint.number, checkpoint.chain_length, checkpoint.head_id, checkpoint.head_hash) == (
        1,
        3,
        head.id,
        head.hash,
    )


def test_checkpoint_file_holds_the_signed_statement(signing):
    records_add(1)
    checkpoint = services.checkpoint_create()
    content = json.loads((signing.directory / verify.checkpoint_file_name(1)).read_text())
    assert content["signature"] == checkpoint.signature and content["head_hash"] == checkpoint.head_hash


def test_checkpoint_names_the_one_before_it(signing):
    records_add(1)
    first = services.checkpoint_create()
    records_add(1)
    assert services.checkpoint_create().prev_hash == first.hash


def test_no_second_checkpoint_of_the_same_head(signing):
    records_add(2)
    services.checkpoint_create()
    assert services.checkpoint_create() is None and Checkpoint.objects.count() == 1


def test_checkpoint_is_one_json_log_line_without_the_signing_key(signing, caplog):
    records_add(1)
    with caplog.at_level(logging.INFO, logger="hostup_dash.checkpoints"):
        checkpoint = services.checkpoint_create()
    (line,) = [record for record in caplog.records if record.name == "hostup_dash.checkpoints.services"]
    private = signing.key.read_text().splitlines()[1]
    assert line.checkpoint_signature == checkpoint.signature and private not in json.dumps(line.__dict__, default=str)


def test_no_checkpoint_without_a_key(signing, settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    records_add(1)
    with pytest.raises(services.CheckpointsOff):
        services.checkpoint_create()


def test_checkpoints_are_append_only(signing):
    records_add(1)
    services.checkpoint_create()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.update(chain_length=0)
