"""Safe-mode crypto: a message we cannot read is refused as such, whatever its bytes."""

from __future__ import annotations

import base64
import secrets

import pytest

from app.wechat import codec
from app.wechat.crypto import DecryptionFailed, MessageCrypto
from tests.support.wechat import APP_ID, TOKEN, message_xml

OUR_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OTHER_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"


def test_messages_under_another_key_always_fail_as_undecryptable() -> None:
    ours = MessageCrypto(TOKEN, [OUR_KEY], APP_ID)
    theirs = MessageCrypto(TOKEN, [OTHER_KEY], APP_ID)
    # Each encryption starts with 16 random bytes, so each decrypts to other garbage;
    # a garbled padding byte of 0 (1 in 256) once escaped as struct.error, a 500.
    for _ in range(3000):
        encrypted = codec.parse_fields(theirs.encrypt(message_xml("text"), 0, "1700000000"))
        with pytest.raises(DecryptionFailed):
            ours.decrypt(str(encrypted["Encrypt"]))


def test_random_ciphertext_fails_as_undecryptable() -> None:
    ours = MessageCrypto(TOKEN, [OUR_KEY], APP_ID)
    for size in (0, 1, 15, 16, 31, 32, 48, 64, 500):
        for _ in range(50):
            with pytest.raises(DecryptionFailed):
                ours.decrypt(base64.b64encode(secrets.token_bytes(size)).decode())
