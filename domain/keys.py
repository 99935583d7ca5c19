"""Encryption keys for the store: read from the environment or a private key file."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from pathlib import Path

from domain.errors import KeyFileError, StoreKeyError

# Where the key may come from when no key file is named.
KEY_ENV = "TAIZHANG_KEY"
KEY_BYTES = 32  # AES-256
_SIZES = (16, 24, 32)


def checked_key(text: str) -> str:
    """Return a key as the cipher takes it (base64 of 16, 24 or 32 bytes), or refuse."""
    text = text.strip()
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise StoreKeyError("key_malformed") from None
    if len(raw) not in _SIZES:
        raise StoreKeyError("key_malformed")
    return text


def read_key_file(path: Path) -> str:
    """Read a key file, refusing one that others than its owner could read.

    A key readable by the group or by everyone protects nothing, so such a
    file is refused rather than used (run `chmod 600` on it).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyFileError(path, "missing") from None
    except OSError:
        raise KeyFileError(path, "unreadable") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(path, "not_a_file")
    if info.st_mode & 0o077:
        raise KeyFileError(path, "not_private")
    try:
        # Anything but base64 is a malformed key, not an unreadable file.
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        raise KeyFileError(path, "unreadable") from None
    try:
        return checked_key(text)
    except StoreKeyError:
        raise KeyFileError(path, "malformed") from None


def new_key() -> str:
    """Return a fresh random AES-256 key, base64-encoded."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def write_key_file(path: Path) -> None:
    """Write a fresh key to a new file readable by its owner only.

    An existing file is never overwritten: losing a key loses the store.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(path, "exists") from None
    except OSError:
        raise KeyFileError(path, "unwritable") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(new_key() + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(path, 0o600)  # whatever the umask took away, nothing more is granted
