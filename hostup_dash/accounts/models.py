"""Login lockout windows: the running count of locked-out attempts, kept out of the audit log.

After django-axes locks a username or an address out, each further attempt only counts here;
the audit log gets one record per locked-out username or address per cool-off window. The
audit table is append-only, so a running count cannot live there.
"""

from django.db import models


class LoginLockout(models.Model):
    class Kind(models.TextChoices):
        USERNAME = "username", "Username"
        ADDRESS = "address", "Address"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=150)
    window_started_at = models.DateTimeField()
    # Locked-out attempts since the window started, the one that opened it included.
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="login_lockout_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}: {self.attempts} since {self.window_started_at:%Y-%m-%d %H:%M:%S}"
