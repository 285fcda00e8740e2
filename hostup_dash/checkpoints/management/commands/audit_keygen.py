"""Write a new Ed25519 key pair for signing audit checkpoints."""

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.checkpoints.signing import key_fingerprint, key_id, key_pair_write


class Command(BaseCommand):
    help = "Write a new signing key (PEM, PKCS#8, mode 0600) at PATH and its public key at PATH.pub."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="where the private key goes; an existing file is never replaced")

    def handle(self, *args, **options) -> str:
        try:
            public_path, public_key = key_pair_write(options["path"])
        except FileExistsError as error:
            raise CommandError(f"{options['path']} exists: a key is never overwritten.") from error
        return f"Public key {public_path}, key id {key_id(public_key)}, fingerprint {key_fingerprint(public_key)}"
