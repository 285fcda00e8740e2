"""A real worker makes a checkpoint on its own once AUDIT_CHECKPOINT_EVERY has passed."""

import pytest

from hostup_dash.checkpoints.models import Checkpoint
from hostup_dash.checkpoints.tasks import CHECKPOINT_QUEUE
from tests.worker.harness import wait_for

from .conftest import records_add


@pytest.mark.django_db(transaction=True)
def test_worker_checkpoints_new_records(signing, start_worker):
    records_add(2)
    start_worker(
        queues=[CHECKPOINT_QUEUE],
        AUDIT_SIGNING_KEY_FILE=str(signing.key),
        AUDIT_CHECKPOINT_DIR=str(signing.directory),
        AUDIT_CHECKPOINT_EVERY="1",
    )
    checkpoint = wait_for(Checkpoint.objects.first, timeout=30)
    assert checkpoint.chain_length == 2 and (signing.directory / "checkpoint-00000001.json").exists()
