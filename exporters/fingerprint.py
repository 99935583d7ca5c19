"""Read back the event-log fingerprint an exported workbook carries, to verify it."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import load_workbook

from domain.ledger import Ledger
from domain.verify import Refusal, SubmittedFile, VerifyReport

# exporters.official writes "fingerprint=<F>" into both properties, or <F> = "none".
_KEY = "fingerprint="
_NONE = "none"

# What openpyxl raises for a file that is not a workbook: not a zip, a zip
# without the workbook parts (OSError, KeyError), or broken XML (ElementTree's
# and lxml's parse errors are both SyntaxErrors).
_NOT_A_WORKBOOK = (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError)


class FingerprintReadError(Exception):
    """Raise when a file's fingerprint cannot be read; `refusal` says why."""

    def __init__(self, path: Path, refusal: Refusal) -> None:
        super().__init__(path, refusal)
        self.path = path
        self.refusal = refusal

    def __str__(self) -> str:
        return f"cannot read a fingerprint from {self.path}: {self.refusal}"


def read_fingerprint(path: Path) -> str | None:
    """Return the fingerprint in a workbook's properties, or None when it has none.

    The keywords and the description both carry it; if they name different
    fingerprints the file was edited, and FingerprintReadError (CONFLICTING)
    is raised, as it is for a missing, unreadable or non-workbook file.
    """
    path = Path(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError as error:
        raise FingerprintReadError(path, Refusal.NOT_FOUND) from error
    except OSError as error:
        raise FingerprintReadError(path, Refusal.UNREADABLE) from error

    with stream:
        try:
            workbook = load_workbook(stream, read_only=True)
        except _NOT_A_WORKBOOK as error:
            raise FingerprintReadError(path, Refusal.NOT_XLSX) from error
        try:
            properties = workbook.properties
            texts = (properties.keywords or "", properties.description or "")
        finally:
            workbook.close()

    found = {
        word[len(_KEY) :]
        for text in texts
        for word in text.split()
        if word.startswith(_KEY) and word != _KEY + _NONE
    }
    if len(found) > 1:
        raise FingerprintReadError(path, Refusal.CONFLICTING)
    return found.pop() if found else None


def submit_file(path: Path) -> SubmittedFile:
    """Read a file's fingerprint for verification; a failure becomes a refusal."""
    try:
        fingerprint = read_fingerprint(path)
    except FingerprintReadError as error:
        return SubmittedFile(Path(path), refusal=error.refusal)
    if fingerprint is None:
        return SubmittedFile(Path(path), refusal=Refusal.NO_FINGERPRINT)
    return SubmittedFile(Path(path), fingerprint=fingerprint)


def verify_ledger(
    ledger: Ledger, files: Sequence[Path] = (), fingerprints: Sequence[str] = ()
) -> VerifyReport:
    """Verify a ledger's event log, the fingerprints given, and the files given.

    This is the entry point for a command line or a screen: nothing here
    raises for a bad file or fingerprint; each is a value in the report.
    """
    return ledger.verify(fingerprints, [submit_file(path) for path in files])
