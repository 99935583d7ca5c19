"""Read fingerprints back from workbooks; every unreadable file is a refusal value."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from domain.ledger import Ledger, NewFinding, Operator
from domain.sheet import OfficialSheet
from domain.verify import Match, Refusal, SubmittedFile
from exporters.fingerprint import (
    FingerprintReadError,
    read_fingerprint,
    submit_file,
    verify_ledger,
)
from exporters.official import write_official_sheet

FINGERPRINT = "p7-0123456789abcdef0123456789abcdef"


def _write(path: Path, fingerprint: str | None) -> Path:
    sheet = OfficialSheet(
        title="整改台账",
        unit="褚河街道",
        report_date=date(2022, 6, 7),
        note="备注：测试。",
        rows=(),
        fingerprint=fingerprint,
    )
    return write_official_sheet(sheet, path)


def test_the_fingerprint_written_is_the_one_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "第1周.xlsx", FINGERPRINT)

    assert read_fingerprint(path) == FINGERPRINT
    assert submit_file(path) == SubmittedFile(path, fingerprint=FINGERPRINT)


def test_a_workbook_under_another_name_is_still_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "ledger.xlsx", FINGERPRINT)

    renamed = path.rename(tmp_path / "台账.bak")

    assert read_fingerprint(renamed) == FINGERPRINT


def test_a_workbook_written_without_fingerprint_has_none(tmp_path: Path) -> None:
    path = _write(tmp_path / "now.xlsx", None)

    assert read_fingerprint(path) is None
    assert submit_file(path).refusal is Refusal.NO_FINGERPRINT


def test_a_workbook_from_elsewhere_has_no_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "hand.xlsx"
    openpyxl.Workbook().save(path)

    assert submit_file(path).refusal is Refusal.NO_FINGERPRINT


def test_keywords_and_description_that_disagree_are_refused(tmp_path: Path) -> None:
    """Someone edited one of the two properties, e.g. the tags in Excel."""
    path = _write(tmp_path / "edited.xlsx", FINGERPRINT)
    workbook = openpyxl.load_workbook(path)
    workbook.properties.keywords = "cutoff=now fingerprint=p7-" + "f" * 32
    workbook.save(path)

    with pytest.raises(FingerprintReadError) as refused:
        read_fingerprint(path)

    assert refused.value.refusal is Refusal.CONFLICTING
    assert submit_file(path).refusal is Refusal.CONFLICTING


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _text(path: Path) -> Path:
    path.write_text("台账")
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _some_zip(path: Path) -> Path:
    return _zip(path, {"a.txt": "x"})


def _word_document(path: Path) -> Path:
    """A package with content types but no workbook part (openpyxl: OSError)."""
    return _zip(path, {"[Content_Types].xml": "<Types/>", "word/document.xml": "<x/>"})


@pytest.mark.parametrize(
    ("make", "refusal"),
    [
        (lambda path: path, Refusal.NOT_FOUND),
        (_folder, Refusal.UNREADABLE),
        (_text, Refusal.NOT_XLSX),
        (_empty, Refusal.NOT_XLSX),
        (_some_zip, Refusal.NOT_XLSX),
        (_word_document, Refusal.NOT_XLSX),
    ],
    ids=["missing", "folder", "text", "empty", "zip", "word"],
)
def test_a_file_that_cannot_be_read_is_a_refusal(
    tmp_path: Path, make: Callable[[Path], Path], refusal: Refusal
) -> None:
    path = make(tmp_path / "台账.xlsx")

    submitted = submit_file(path)

    assert submitted == SubmittedFile(path, refusal=refusal)


def test_verifying_a_ledger_with_good_and_bad_files_raises_nothing(
    ledger: Ledger,
    operator: Operator,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
) -> None:
    ledger.record(operator, new_finding())
    good = write_official_sheet(
        ledger.official_sheet("褚河街道"), tmp_path / "now.xlsx"
    )
    bare = _write(tmp_path / "bare.xlsx", None)
    missing = tmp_path / "missing.xlsx"

    report = verify_ledger(ledger, [good, bare, missing], ["p1-" + "0" * 32])

    assert [(f.path, f.refusal, f.matches) for f in report.files] == [
        (good, None, True),
        (bare, Refusal.NO_FINGERPRINT, False),
        (missing, Refusal.NOT_FOUND, False),
    ]
    assert [f.match for f in report.fingerprints] == [Match.DIFFERS]
    assert report.intact and not report.clean
