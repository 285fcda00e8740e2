"""Ed25519 keys and signed checkpoint statements, in plain Python.

Nothing here touches the database, so the offline verification can run where the
database cannot be reached. A checkpoint's signed bytes are its fields as canonical
JSON (sorted keys, no spaces); its hash, which the next checkpoint names, is the
SHA-256 of those bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The previous-checkpoint hash of the first checkpoint.
GENESIS_HASH = "0" * 64
FORMAT = "hostup-dash audit checkpoint v1"
NOT_ED25519 = "{path} is not an Ed25519 key in PEM (PKCS#8 for a private key, SubjectPublicKeyInfo for a public one)."


class KeyFileError(ValueError):
    """A key file that cannot be read as the Ed25519 key it should be."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA256:<base64> of the raw public key, as OpenSSH prints fingerprints."""
    digest = hashlib.sha256(_raw(public_key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def key_id(public_key: Ed25519PublicKey) -> str:
    """The short name a checkpoint gives its key: the first 16 hex digits of the same digest."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_key_load(path: str | Path) -> Ed25519PrivateKey:
    """The signing key from a PEM (PKCS#8) file; raises KeyFileError when it is not one."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise KeyFileError(NOT_ED25519.format(path=path)) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(NOT_ED25519.format(path=path))
    return key


def public_key_parse(pem: bytes, *, source: str) -> Ed25519PublicKey:
    """A public key from PEM text; raises KeyFileError when it is not an Ed25519 one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise KeyFileError(NOT_ED25519.format(path=source)) from error
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(NOT_ED25519.format(path=source))
    return key


def public_key_load(path: str | Path) -> Ed25519PublicKey:
    try:
        pem = Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(NOT_ED25519.format(path=path)) from error
    return public_key_parse(pem, source=str(path))


def key_pair_write(path: str | Path) -> tuple[Path, Ed25519PublicKey]:
    """A new private key at `path` (mode 0600, never overwriting) and its public half at `path`.pub."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = Path(path)
    # Created readable by its owner only, and never over an existing key.
    with open(path, "xb", opener=lambda name, flags: os.open(name, flags, 0o600)) as file:
        file.write(pem)
    public_path = path.with_name(path.name + ".pub")
    public_path.write_text(public_pem(private.public_key()))
    return public_path, private.public_key()


@dataclass(frozen=True)
class Statement:
    """What a checkpoint states: the chain's length, its newest record, the time, the previous checkpoint, the key."""

    number: int
    chain_length: int
    head_id: int
    head_hash: str
    created_at: str
    prev_hash: str
    key_id: str

    def signed_bytes(self) -> bytes:
        return json.dumps({"format": FORMAT, **asdict(self)}, sort_keys=True, separators=(",", ":")).encode()

    def hash(self) -> str:
        return hashlib.sha256(self.signed_bytes()).hexdigest()


def statement_sign(statement: Statement, private_key: Ed25519PrivateKey) -> str:
    """The statement's Ed25519 signature, base64."""
    return base64.b64encode(private_key.sign(statement.signed_bytes())).decode()


def signature_is_valid(statement: Statement, signature: str, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), statement.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return True


NO_KEYS = "No public key to check signatures with: give --public-key PUB.pem (or set AUDIT_SIGNING_KEY_FILE)."


def trusted_keys(public_key_paths: list[str], *, signing_key_file: str) -> dict[str, Ed25519PublicKey]:
    """The public keys to trust, by key id: those given, else the public half of the signing key.

    After a rotation, give the old public keys too (the checkpoints page lists them)."""
    keys = [public_key_load(path) for path in public_key_paths]
    if not keys and signing_key_file:
        keys = [private_key_load(signing_key_file).public_key()]
    if not keys:
        raise KeyFileError(NO_KEYS)
    return {key_id(key): key for key in keys}
