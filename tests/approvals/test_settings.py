"""APPROVAL_REQUIRED_FOR and APPROVAL_TTL as the environment gives them, and the check on unknown actions."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.worker.harness import ROOT

PRINT = "from django.conf import settings; print(settings.APPROVAL_REQUIRED_FOR, settings.APPROVAL_TTL)"


def _settings_with(**env: str) -> str:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("APPROVAL_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRINT],
        cwd=ROOT,
        env=clean | {"LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]  # after the shell's own line about auto-imports


def test_by_default_a_release_needs_approval_for_a_day():
    assert _settings_with() == "['release'] 86400"


def test_an_empty_list_turns_approval_off_and_names_are_trimmed():
    assert _settings_with(APPROVAL_REQUIRED_FOR="") == "[] 86400"
    two = _settings_with(APPROVAL_REQUIRED_FOR="release, allocate", APPROVAL_TTL="600")
    assert two == "['release', 'allocate'] 600"


def test_an_unknown_action_fails_the_check(settings):
    settings.APPROVAL_REQUIRED_FOR = ["relase"]

    with pytest.raises(SystemCheckError, match="APPROVAL_REQUIRED_FOR names unknown actions: relase"):
        call_command("check")
