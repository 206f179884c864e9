"""Secrets at rest and signatures.

Bot tokens and webhook secrets are stored as ``v1.<key id>.<Fernet token>``: the key id
travels with the ciphertext so the keyring can rotate (new primary key for new writes,
old keys kept to read old items). A wrong or unknown key fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from chalicelib.errors import ConfigError, DecryptionError

_VERSION = "v1"


@dataclass(frozen=True)
class Keyring:
    """Named symmetric keys; ``primary`` encrypts, every key decrypts its own ciphertexts."""

    keys: dict[str, bytes]
    primary: str
    _fernets: dict[str, Fernet] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.primary not in self.keys:
            raise ConfigError("the primary key id is not in the keyring")
        for kid, key in self.keys.items():
            if not kid or "." in kid or "," in kid or ":" in kid:
                raise ConfigError("key ids must be non-empty and free of '.', ',' and ':'")
            if len(key) != 32:
                raise ConfigError(f"key {kid!r} must be 32 bytes")
            self._fernets[kid] = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_spec(cls, spec: str) -> Keyring:
        """Parse ``kid:base64key[,kid:base64key...]``; the first key is the primary."""
        keys: dict[str, bytes] = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, encoded = part.partition(":")
            if not sep:
                raise ConfigError("keyring entries look like 'kid:base64key'")
            try:
                keys[kid] = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError:
                raise ConfigError(f"key {kid!r} is not valid base64") from None
        if not keys:
            raise ConfigError("the keyring is empty")
        return cls(keys=keys, primary=next(iter(keys)))

    @staticmethod
    def new_key_spec(kid: str) -> str:
        """A fresh random ``kid:base64key`` entry (for set-up and rotation)."""
        return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the primary key; the result names the key it used."""
        token = self._fernets[self.primary].encrypt(plaintext.encode()).decode()
        return f"{_VERSION}.{self.primary}.{token}"

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a value written by any key in the ring, or raise ``DecryptionError``."""
        version, _, rest = ciphertext.partition(".")
        kid, _, token = rest.partition(".")
        if version != _VERSION or not token:
            raise DecryptionError("not a Nezuko ciphertext")
        fernet = self._fernets.get(kid)
        if fernet is None:
            raise DecryptionError(f"no key {kid!r} in the keyring", key_id=kid)
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError(f"key {kid!r} cannot decrypt this value", key_id=kid) from None

    def needs_rotation(self, ciphertext: str) -> bool:
        """True when ``ciphertext`` was written with a key other than the primary."""
        return not ciphertext.startswith(f"{_VERSION}.{self.primary}.")


def new_secret(nbytes: int = 32) -> str:
    """A random URL-safe secret (webhook secret tokens allow ``A-Za-z0-9_-``, 1-256 chars)."""
    return secrets.token_urlsafe(nbytes)


def hmac_sha256(key: bytes, message: bytes) -> str:
    """Hex HMAC-SHA-256 of ``message``."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same_secret(presented: str | None, expected: str) -> bool:
    """Constant-time comparison that treats a missing value as a mismatch."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())
