"""Offline units: a unit's SQLite file exported as a bundle, imported by the office.

The unit always works on its own SQLite file; the office store is SQLite or
PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import (
    BundleAcceptanceError,
    BundleAlteredError,
    BundleCampaignError,
    BundleChainError,
    BundleConflictError,
    BundleFormatError,
    BundleSubmissionError,
    NotPermittedError,
)
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import Status
from tests.conftest import SHANGHAI
from tests.pg import execute_on

STORES = ("sqlite", "postgres")

NewFindingFactory = Callable[..., NewFinding]
ZHANG = Operator("张三", "褚河街道")
OFFICE = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室")
PLAN: dict[str, Any] = {
    "measures": "入户核实",
    "deadline": date(2022, 6, 10),
    "responsible_unit": "市住建局",
}


def at(clock: SetClock, month: int, day: int, hour: int = 10) -> None:
    clock.set(datetime(2022, month, day, hour, tzinfo=SHANGHAI))


@pytest.fixture
def unit_file(tmp_path: Path) -> Path:
    return tmp_path / "chuhe.sqlite"


@pytest.fixture
def unit(
    campaign: Campaign,
    unit_file: Path,
    clock: SetClock,
    new_finding: NewFindingFactory,
) -> Iterator[Ledger]:
    """褚河街道 on its own file: two findings in week 1, week 1 submitted."""
    ledger = open_ledger(campaign, unit_file, clock)
    first = ledger.record(ZHANG, new_finding(**PLAN))
    at(clock, 6, 3)
    ledger.report_progress(ZHANG, first, 2, on=date(2022, 6, 3), progress="已入户")
    at(clock, 6, 6)
    ledger.record(ZHANG, new_finding(statement="饮水水压不足"))
    at(clock, 6, 8)
    ledger.submit_week(ZHANG, "褚河街道", 1)
    yield ledger
    ledger.close()


def test_an_imported_bundle_gives_the_office_the_units_ledger_as_it_was(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    bundle = unit.export_bundle(ZHANG, "褚河街道")
    at(clock, 6, 12)

    result = ledger.import_bundle(OFFICE, bundle)

    assert (result.unit, result.added, result.present) == ("褚河街道", 6, 0)
    assert result.submissions == ((1, unit.submissions()[0].fingerprint),)
    assert ledger.rows() == unit.rows()
    for row in unit.rows():
        assert ledger.history(row.finding_id) == unit.history(row.finding_id)
    # The week as handed in replays the same from the original recording times.
    assert ledger.official_sheet("褚河街道", 1).rows == (
        unit.official_sheet("褚河街道", 1).rows
    )
    [submission] = ledger.submissions()
    assert submission.imported and submission.by == "张三"
    assert ledger.verify().intact


def test_importing_the_same_bundle_twice_adds_nothing(
    unit: Ledger, ledger: Ledger
) -> None:
    bundle = unit.export_bundle(ZHANG, "褚河街道")
    ledger.import_bundle(OFFICE, bundle)
    head = ledger.head()

    again = ledger.import_bundle(OFFICE, bundle)

    assert (again.added, again.present) == (0, 6)
    assert ledger.head() == head


def test_a_later_bundle_adds_only_what_is_new(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="已整改")

    later = ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))

    assert (later.added, later.present) == (1, 6)
    assert ledger.row(first).status is Status.AWAITING_ACCEPTANCE
    assert ledger.history(first)[-1].recorded_at == unit.history(first)[-1].recorded_at


def reseal(body: dict[str, Any]) -> bytes:
    """Write a forged bundle as the exporter would, with a digest that fits it."""
    body.pop("digest", None)

    def canonical(value: dict[str, Any]) -> bytes:
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    body["digest"] = hashlib.sha256(canonical(body)).hexdigest()
    return canonical(body) + b"\n"


def edit_state(bundle: bytes) -> bytes:
    """Change a word inside the third event's stored state, keeping the digest."""
    body = json.loads(bundle)
    state = body["rows"][2][4]
    text = base64.b64decode(state[1]).decode()
    assert "已入户" in text
    state[1] = base64.b64encode(text.replace("已入户", "未入户").encode()).decode()
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "change",
    [
        edit_state,
        lambda b: b.replace(b'"exported_by":"', b'"exported_by":"x'),
    ],
)
def test_a_bundle_changed_after_export_is_refused(
    unit: Ledger, ledger: Ledger, change: Callable[[bytes], bytes]
) -> None:
    bundle = change(unit.export_bundle(ZHANG, "褚河街道"))

    with pytest.raises(BundleAlteredError):
        ledger.import_bundle(OFFICE, bundle)
    assert ledger.head() == 0


def test_a_bundle_rewritten_with_a_new_digest_is_still_refused_by_its_chain(
    unit: Ledger, ledger: Ledger
) -> None:
    body = json.loads(unit.export_bundle(ZHANG, "褚河街道"))
    body["rows"].pop(1)

    with pytest.raises(BundleAlteredError) as caught:
        ledger.import_bundle(OFFICE, reseal(body))
    assert caught.value.check == "chain"


def test_a_unit_log_edited_after_a_submission_is_refused(
    unit: Ledger, unit_file: Path, ledger: Ledger
) -> None:
    # The unit edits an event of week 1 in its file after submitting week 1,
    # then re-chains its file so that it verifies again.
    execute_on(
        unit_file,
        "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), '已入户',"
        " '已整改') AS BLOB) WHERE rowid = 3",
        "",
    )
    execute_on(unit_file, "DELETE FROM event_chain", "")
    execute_on(unit_file, "DELETE FROM event_chain_origin", "")
    unit.close()
    reopened = open_ledger(unit.campaign, unit_file, unit.clock)
    assert reopened.verify().intact

    with pytest.raises(BundleSubmissionError) as caught:
        ledger.import_bundle(OFFICE, reopened.export_bundle(ZHANG, "褚河街道"))
    assert caught.value.week == 1
    assert ledger.head() == 0
    reopened.close()


def test_only_the_units_own_ledger_is_taken_from_its_file(
    unit: Ledger, ledger: Ledger, new_finding: NewFindingFactory
) -> None:
    unit.record(Operator("孙七", "火龙镇"), new_finding(reporting_unit="火龙镇"))

    result = ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))

    # Named, so the office can ask for that unit's own bundle.
    assert (result.added, result.other_units, result.left_out) == (6, (("火龙镇", 1),), 0)
    assert {r.reporting_unit for r in ledger.rows()} == {"褚河街道"}


def test_a_bundle_that_disagrees_with_the_store_is_refused_whole(
    unit: Ledger, ledger: Ledger, clock: SetClock, new_finding: NewFindingFactory
) -> None:
    bundle = unit.export_bundle(ZHANG, "褚河街道")
    ledger.import_bundle(OFFICE, bundle)
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    # The same step recorded differently in the office and in the unit.
    ledger.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="办公室记的")
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="单位记的")
    unit.record(ZHANG, new_finding(statement="新问题", found_on=date(2022, 6, 9)))
    head = ledger.head()

    with pytest.raises(BundleConflictError) as caught:
        ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))

    assert caught.value == BundleConflictError(first, 4)
    assert ledger.head() == head
    assert "新问题" not in [r.statement for r in ledger.rows()]


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"not json", "not_json"), (b'{"format": "x"}', "not_a_bundle")],
)
def test_what_is_not_a_bundle_is_refused(
    ledger: Ledger, data: bytes, problem: str
) -> None:
    with pytest.raises(BundleFormatError) as caught:
        ledger.import_bundle(OFFICE, data)

    assert caught.value.problem == problem


def test_a_bundle_of_another_campaign_is_refused(unit: Ledger, ledger: Ledger) -> None:
    body = json.loads(unit.export_bundle(ZHANG, "褚河街道"))
    body["campaign"] = "other-2023"

    with pytest.raises(BundleCampaignError):
        ledger.import_bundle(OFFICE, reseal(body))


def test_with_a_register_only_the_office_imports(unit: Ledger, ledger: Ledger) -> None:
    ledger.register_operator(OFFICE, OFFICE.name, OFFICE.unit, "办公室")
    ledger.register_operator(OFFICE, "张三", "褚河街道", "单位")
    bundle = unit.export_bundle(ZHANG, "褚河街道")

    with pytest.raises(NotPermittedError):
        ledger.import_bundle(ZHANG, bundle)

    assert ledger.import_bundle(OFFICE, bundle).added == 6


def test_a_unit_file_whose_chain_is_broken_is_not_exported(
    unit: Ledger, unit_file: Path
) -> None:
    """A unit file with a record deleted still exported, under its old
    fingerprint, and the office could not tell."""
    execute_on(unit_file, "DELETE FROM stored_events WHERE rowid = 3", "")

    with pytest.raises(BundleChainError) as caught:
        unit.export_bundle(ZHANG, "褚河街道")
    assert caught.value.position == 3


def test_a_bundle_lacking_records_imported_before_says_so(
    unit: Ledger, unit_file: Path, ledger: Ledger, clock: SetClock
) -> None:
    """A completion deleted from the unit's file (and the chain redone to
    match) came back as 已导入过 with nothing said."""
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="已整改")
    ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    execute_on(
        unit_file, "DELETE FROM stored_events WHERE topic LIKE '%RectificationCompleted'", ""
    )
    execute_on(unit_file, "DELETE FROM event_chain", "")
    execute_on(unit_file, "DELETE FROM event_chain_origin", "")
    unit.close()
    reopened = open_ledger(unit.campaign, unit_file, unit.clock)
    assert reopened.verify().intact

    result = ledger.import_bundle(OFFICE, reopened.export_bundle(ZHANG, "褚河街道"))

    assert (result.added, result.missing) == (0, ((first[:8], 4),))
    assert ledger.row(first).status is Status.AWAITING_ACCEPTANCE  # kept here
    reopened.close()


def test_an_acceptance_by_anyone_but_the_team_is_not_imported(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    """On its own file, with no register, a township closed its own finding;
    the office, whose register says only the team accepts, took it in."""
    ledger.register_operator(OFFICE, OFFICE.name, OFFICE.unit, "办公室")
    ledger.register_operator(OFFICE, ZHANG.name, ZHANG.unit, "单位")
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="已整改")
    unit.pass_acceptance(ZHANG, first, 4, on=date(2022, 6, 9), remarks="自验合格")

    with pytest.raises(BundleAcceptanceError) as caught:
        ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    assert caught.value.accepted == ((first[:8], "张三"),)
    assert ledger.rows() == []

    # Taken back on the unit's file, the rest comes in.
    unit.undo_last(ZHANG, first, 5)
    result = ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    assert result.added > 0
    assert ledger.row(first).status is Status.AWAITING_ACCEPTANCE


def test_a_screening_undone_in_the_units_file_is_undone_at_the_office(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    at(clock, 6, 9)
    unit.record_screening(ZHANG, "褚河街道", "housing", 2, households=80, problems_found=0)
    ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    unit.record_screening(ZHANG, "褚河街道", "housing", 2, households=80, problems_found=0)
    unit.undo_screening(ZHANG, "褚河街道")

    later = ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))

    assert later.added == 2
    assert ledger.screenings() == unit.screenings()
    assert [s.households for s in ledger.screenings()] == [80]
    assert ledger.verify().view_differs == ()


def test_records_a_bundle_brings_dated_before_the_units_last_bundle_are_a_signal(
    unit: Ledger, ledger: Ledger, clock: SetClock, new_finding: NewFindingFactory
) -> None:
    """A unit's file with a finding given an earlier recording time (its clock
    set back, or the time rewritten) sent it with the next bundle as if
    recorded before week 1's cut-off: nothing told the office that the
    unit's previous bundle, exported after that time, did not hold it."""
    from domain.inspection import SignalKind

    ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))  # 6/8 10:00
    at(clock, 6, 5)
    late = unit.record(ZHANG, new_finding(statement="事后补入的问题", found_on=date(2022, 6, 4)))
    at(clock, 6, 13)
    unit.record(ZHANG, new_finding(statement="按时登记的问题", found_on=date(2022, 6, 13)))
    result = ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))

    assert result.added == 2 and result.early is not None and result.early[1] == 1

    flagged = [s for s in ledger.signals() if s.kind is SignalKind.RECORDED_BEFORE_LAST_BUNDLE]
    assert [s.finding_id for s in flagged] == [late]
    assert flagged[0].when("exported_at") == datetime(2022, 6, 8, 10, tzinfo=SHANGHAI)
    assert flagged[0].when("recorded_at") == datetime(2022, 6, 5, 10, tzinfo=SHANGHAI)
    # The unit's own file, which never imported a bundle, has nothing to compare.
    assert not [s for s in unit.signals() if s.kind is SignalKind.RECORDED_BEFORE_LAST_BUNDLE]


def test_an_acceptance_a_units_bundle_brings_is_a_signal(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    """A township typed the team member's name on its own file, where nobody
    is registered, and closed out its finding; the office's register let that
    name accept, so the acceptance came in as the team's, with nothing to say
    it was recorded on the township's computer."""
    from domain.inspection import SignalKind

    ledger.register_operator(OFFICE, OFFICE.name, OFFICE.unit, "办公室")
    team = Operator("赵验收", "市巩固拓展脱贫攻坚成果调研指导组")
    ledger.register_operator(OFFICE, team.name, team.unit, "调研指导组")
    ledger.register_operator(OFFICE, ZHANG.name, ZHANG.unit, "单位")
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="已整改")
    unit.pass_acceptance(team, first, 4, on=date(2022, 6, 9), remarks="合格")
    ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    # The team's own acceptance, at the office, is no signal.
    second = unit.rows()[1].finding_id
    ledger.plan(ZHANG, second, 1, measures="加压", deadline=date(2022, 6, 20),
                responsible_unit="市水利局")  # fmt: skip
    ledger.complete(ZHANG, second, 2, on=date(2022, 6, 9), effect="已加压")
    ledger.pass_acceptance(team, second, 3, on=date(2022, 6, 9))

    flagged = [s for s in ledger.signals() if s.kind is SignalKind.ACCEPTED_IN_UNIT_BUNDLE]
    assert [(s.finding_id, s.version, s.detail) for s in flagged] == [(first, 5, "赵验收")]
    assert flagged[0].unit == "褚河街道"


def test_an_acceptance_stamped_with_another_unit_than_the_register_gives_is_refused(
    unit: Ledger, ledger: Ledger, clock: SetClock
) -> None:
    """On the township's own file the team member's name was typed with the
    township as the unit (褚河街道); the office's register makes 赵验收 a
    member of the team, and took the acceptance in on the name alone."""
    ledger.register_operator(OFFICE, OFFICE.name, OFFICE.unit, "办公室")
    team = Operator("赵验收", "市巩固拓展脱贫攻坚成果调研指导组")
    ledger.register_operator(OFFICE, team.name, team.unit, "调研指导组")
    first = unit.rows()[0].finding_id
    at(clock, 6, 9)
    unit.complete(ZHANG, first, 3, on=date(2022, 6, 9), effect="已整改")
    unit.pass_acceptance(Operator("赵验收", "褚河街道"), first, 4, on=date(2022, 6, 9),
                         remarks="合格")  # fmt: skip

    with pytest.raises(BundleAcceptanceError) as caught:
        ledger.import_bundle(OFFICE, unit.export_bundle(ZHANG, "褚河街道"))
    assert caught.value.accepted == ((first[:8], "赵验收"),)
