"""The account routes keep no rows of their own: HostUp holds the pools and routes, the audit log the
changes, the inventory snapshot the routes per VPS. This model only carries the permissions."""

from django.db import models


class AccountRoutes(models.Model):
    class Meta:
        managed = False  # no table: a holder for permissions
        default_permissions = ()
        permissions = [
            ("create_route", "Can route a prefix of an account pool to a VPS"),
            ("delete_route", "Can delete an account route"),
            ("allocate_pool", "Can allocate the account's routed /48 pool"),
            ("release_pool", "Can release an account pool"),
        ]
