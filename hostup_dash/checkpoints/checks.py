"""Deployment check: without a signing key the audit trail has no checkpoints."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def audit_checkpoints_on(app_configs, **kwargs) -> list[Warning]:
    """A trail without checkpoints cannot show that its newest records were deleted or its history rewritten."""
    missing = [name for name in ("AUDIT_SIGNING_KEY_FILE", "AUDIT_CHECKPOINT_DIR") if not getattr(settings, name)]
    if not missing:
        return []
    return [
        Warning(
            f"Audit checkpoints are off ({' and '.join(missing)} not set): deleting the newest audit records, or "
            "rewriting the trail with recomputed hashes, would go unnoticed.",
            hint="Make a key with `python manage.py audit_keygen PATH`, set AUDIT_SIGNING_KEY_FILE to it and "
            'AUDIT_CHECKPOINT_DIR to write-once or remote storage (README "Audit").',
            id="checkpoints.W001",
        )
    ]
