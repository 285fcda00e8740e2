from hostup_dash.checkpoints.checks import audit_checkpoints_on


def test_deploy_check_warns_without_a_signing_key(settings):
    settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_CHECKPOINT_DIR = "", "/srv/checkpoints"
    assert [warning.id for warning in audit_checkpoints_on(None)] == ["checkpoints.W001"]


def test_deploy_check_is_quiet_with_a_key_and_a_directory(settings):
    settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_CHECKPOINT_DIR = "/etc/hd/signing.pem", "/srv/checkpoints"
    assert audit_checkpoints_on(None) == []
