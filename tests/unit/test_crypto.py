"""Tokens at rest: encrypted with a named key, rotatable, and loud on the wrong key."""

from __future__ import annotations

import pytest

from chalicelib.crypto import Keyring, same_secret
from chalicelib.errors import ConfigError, DecryptionError

TOKEN = "123456789:AAH-secret-token-value_abcdefghijklmnop"


def test_encrypted_token_names_its_key_and_hides_the_token() -> None:
    ring = Keyring.from_spec(Keyring.new_key_spec("k1"))
    ciphertext = ring.encrypt(TOKEN)
    assert ciphertext.startswith("v1.k1.")
    assert TOKEN not in ciphertext
    assert ring.decrypt(ciphertext) == TOKEN


def test_rotation_keeps_old_values_readable_and_writes_with_the_new_key() -> None:
    # Given a value written under the old key
    old = Keyring.new_key_spec("old")
    before = Keyring.from_spec(old).encrypt(TOKEN)
    # When a new primary key is added in front of the old one
    rotated = Keyring.from_spec(f"{Keyring.new_key_spec('new')},{old}")
    # Then old ciphertexts still decrypt, new writes use the new key
    assert rotated.decrypt(before) == TOKEN
    assert rotated.needs_rotation(before)
    after = rotated.encrypt(TOKEN)
    assert after.startswith("v1.new.") and not rotated.needs_rotation(after)


def test_a_wrong_key_with_the_same_id_fails_loudly() -> None:
    ciphertext = Keyring.from_spec(Keyring.new_key_spec("k1")).encrypt(TOKEN)
    other = Keyring.from_spec(Keyring.new_key_spec("k1"))
    with pytest.raises(DecryptionError):
        other.decrypt(ciphertext)


def test_an_unknown_key_id_fails_loudly() -> None:
    ciphertext = Keyring.from_spec(Keyring.new_key_spec("gone")).encrypt(TOKEN)
    with pytest.raises(DecryptionError) as caught:
        Keyring.from_spec(Keyring.new_key_spec("k1")).decrypt(ciphertext)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("tampered", ["", "v1.k1.", "v2.k1.abc", "v1.k1.not-fernet"])
def test_tampered_ciphertext_is_rejected(tampered: str) -> None:
    with pytest.raises(DecryptionError):
        Keyring.from_spec(Keyring.new_key_spec("k1")).decrypt(tampered)


@pytest.mark.parametrize("spec", ["", "k1", "k1:short", "a.b:" + "A" * 43])
def test_bad_keyring_specs_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError):
        Keyring.from_spec(spec)


def test_secret_comparison_treats_missing_as_mismatch() -> None:
    assert same_secret("abc", "abc")
    assert not same_secret("abd", "abc")
    assert not same_secret(None, "abc")
