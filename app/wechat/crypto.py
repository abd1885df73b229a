"""Safe-mode (AES) message encryption with key rotation, built on wechatpy's cipher."""

from __future__ import annotations

import base64
import binascii
import secrets
import struct

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from app.wechat.signature import sign


class DecryptionFailed(ValueError):
    """No configured key decrypts the message to our app id."""


class MessageCrypto:
    """Decrypts with the current or the previous EncodingAESKey, encrypts with the one that worked.

    During a key rotation the platform may still use the old key; answering
    with the key the request came in keeps the reply readable to it.
    """

    def __init__(self, token: str, aes_keys: list[str], app_id: str) -> None:
        self._token = token
        self._app_id = app_id
        self._ciphers = [PrpCrypto(base64.b64decode(key + "=")) for key in aes_keys]

    @property
    def enabled(self) -> bool:
        return bool(self._ciphers)

    def decrypt(self, encrypted: str) -> tuple[str, int]:
        """Return the plain XML and the index of the key that decrypted it."""
        for index, cipher in enumerate(self._ciphers):
            try:
                return str(cipher.decrypt(encrypted, self._app_id)), index
            # A wrong key shows up as bad padding, a garbled length or a foreign app id;
            # a padding byte of 0 leaves no length to read at all (struct.error).
            except (InvalidAppIdException, ValueError, IndexError, binascii.Error,
                    UnicodeDecodeError, TypeError, struct.error):
                continue
        raise DecryptionFailed("no configured EncodingAESKey decrypts this message")

    def encrypt(self, xml: str, key_index: int, timestamp: str) -> str:
        nonce = secrets.token_hex(8)
        encrypted = self._ciphers[key_index].encrypt(xml, self._app_id).decode()
        signature = sign(self._token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
