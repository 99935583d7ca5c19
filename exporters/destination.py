"""Where an export may be written: the refusal, and the probe made before any work.

Kept apart from the workbook writer so that the app and its wording can
refuse a destination without loading openpyxl.
"""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

NOT_XLSX = "the file name must end in .xlsx"
HAS_NUL = "the file name holds a NUL character"
NO_NEW_FILES = "no new file can be made in that folder"
# Not a fault of the destination: the edge asks before writing over a file.
FILE_EXISTS = "the file already exists"

_PROBLEMS = {
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "part of the folder path is not a folder",
    errno.EACCES: "no permission to write in that folder",
    errno.EPERM: "no permission to write in that folder",
    errno.EROFS: "the disk is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EISDIR: "the destination is a folder",
    errno.ENAMETOOLONG: "the file name is too long",
}


class ExportError(Exception):
    """Raise when the workbook cannot be written to its destination.

    `problem` is one short English sentence (folder missing, no permission, disk
    full, ...) for the edge to word for the operator; the OSError is the cause.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.problem}"


def check_destination(path: Path) -> None:
    """Refuse, before any work, a destination the workbook could not be saved to.

    The same probe as the save itself: a temporary file in the folder.
    """
    if "\0" in str(path):
        # No file system takes one; os calls would raise ValueError, not OSError.
        raise ExportError(path, HAS_NUL)
    try:
        # is_dir() raises, rather than answers, for a name too long to look up.
        if path.is_dir():
            raise ExportError(path, _PROBLEMS[errno.EISDIR])
        # The folder first: a folder typed that does not exist is named as such,
        # not as a file name without .xlsx.
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        problem = describe(error)
        if error.errno == errno.ENOENT and path.parent.is_dir():
            # A folder that exists yet takes no files (as /proc) says ENOENT too.
            problem = NO_NEW_FILES
        raise ExportError(path, problem) from error
    if path.suffix.lower() != ".xlsx":
        raise ExportError(path, NOT_XLSX)


def describe(error: OSError) -> str:
    """Name an OSError's problem in the sentence ExportError carries."""
    if error.errno in _PROBLEMS:
        return _PROBLEMS[error.errno]
    return error.strerror or str(error)
