"""Walk the audit hash chain and report the first record that does not match."""

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.audit.models import GENESIS_HASH, AuditRecord


class Command(BaseCommand):
    help = "Check every audit record's hash and its link to the record before it."

    def handle(self, *args, **options) -> str:
        expected_prev = GENESIS_HASH
        count = 0
        for record in AuditRecord.objects.order_by("id").iterator(chunk_size=5000):
            if record.prev_hash != expected_prev:
                raise CommandError(
                    f"Chain broken at record #{record.id}: its prev_hash does not match the hash of the record "
                    f"before it (a record was removed, inserted or re-hashed). {count} records before it are intact."
                )
            if record.compute_hash() != record.hash:
                raise CommandError(
                    f"Chain broken at record #{record.id}: its content does not match its hash (the record was "
                    f"altered). {count} records before it are intact."
                )
            expected_prev = record.hash
            count += 1
        return f"{count} records, chain intact"
