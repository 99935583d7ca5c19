"""Bringing a sheet's rows in: every row checked first, then all saved in one go."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from domain.clock import SetClock
from domain.errors import (
    AlreadyImportedError,
    DateOutsideCampaignError,
    DuplicateFindingError,
    EmptyTextError,
    NothingToImportError,
    RowsRefusedError,
    UnitMismatchError,
    UnitNotGivenError,
    UnitSealedError,
    UnknownValueError,
)
from domain.importing import ImportedFile, ImportRow, ImportSheet, found_days
from domain.ledger import Ledger, NewFinding, Operator
from domain.staff import Role
from domain.state import Status
from domain.view import LedgerQuery
from tests.conftest import SHANGHAI

UNIT = "褚河街道"


def row(number: int, **overrides: Any) -> ImportRow:
    """A good row of the official form; keyword arguments override its cells."""
    values: dict[str, Any] = {
        "category": "农村危房改造",
        "nature": "个性问题",
        "statement": f"第{number}行：东村王某住房未悬挂安全性鉴定标识牌",
        "measures": "完成挂牌，逐户复核",
        "deadline": date(2022, 6, 10),
        "responsible_unit": "市住建局",
    }
    return ImportRow(number=number, **{**values, **overrides})


def sheet(*rows: ImportRow, **overrides: Any) -> ImportSheet:
    values: dict[str, Any] = {
        "file_name": "褚河台账.xlsx",
        "digest": "d1",
        "sheet_name": "Sheet1",
        "unit": UNIT,
        "report_day": date(2022, 6, 7),
        "columns": (),
        "rows": rows,
    }
    return ImportSheet(**{**values, **overrides})


@pytest.fixture(autouse=True)
def on_june_8(clock: SetClock) -> None:
    """Import on 2022-06-08, in week 2."""
    from datetime import datetime

    clock.set(datetime(2022, 6, 8, 9, 0, tzinfo=SHANGHAI))


def problems(result: Any) -> dict[int, list[tuple[str, type[Exception]]]]:
    return {
        r.number: [(p.field, type(p.error)) for p in r.problems] for r in result.bad
    }


def test_every_row_becomes_a_finding_with_its_plan_source_and_row(
    ledger: Ledger, operator: Operator
) -> None:
    rows = (
        row(4, remarks="备注：已入户核实"),
        row(5, category="健康保障", nature="共性", responsible_unit="卫健委"),
    )

    result = ledger.import_sheet(operator, sheet(*rows))

    assert result.written and result.unit == UNIT
    first, second = (ledger.row(r.finding_id) for r in result.rows)
    assert first.statement == rows[0].statement
    assert first.reporting_unit == UNIT
    assert (first.category, first.check_item, first.nature) == (
        "housing",
        1,
        "个性问题",
    )
    assert (first.source, first.source_ref) == ("导入", "褚河台账.xlsx 第4行")
    assert first.remarks == "备注：已入户核实"
    assert first.measures == "完成挂牌，逐户复核"
    assert first.deadline == date(2022, 6, 10)
    assert first.status is Status.IN_PROGRESS
    assert (second.category, second.nature) == ("health", "共性问题")
    assert second.responsible_unit == "市卫健委"
    kinds = [e.kind for e in ledger.history(first.finding_id)]
    assert kinds == ["Recorded", "RectificationPlanned"]
    plan = ledger.history(first.finding_id)[1]
    assert plan.on == date(2022, 6, 7)


def test_a_plan_overdue_on_the_report_day_is_dated_no_later_than_its_deadline(
    ledger: Ledger, operator: Operator
) -> None:
    """The week-1 sample reports on 6-07 a plan due 6-05: the plan was dated 6-07,
    made two days after it was due. It existed by its deadline, and is dated so."""
    result = ledger.import_sheet(operator, sheet(row(4, deadline=date(2022, 6, 5))))

    [finding_id] = [r.finding_id for r in result.rows]
    found, plan = ledger.history(finding_id)
    assert plan.on == date(2022, 6, 5) == ledger.row(finding_id).deadline
    assert found.on <= plan.on


def test_rows_are_recorded_in_sheet_order_in_one_save(
    ledger: Ledger, operator: Operator
) -> None:
    before = ledger.head()

    result = ledger.import_sheet(operator, sheet(*(row(n) for n in range(4, 9))))

    # 5 findings of two events each, and the record of the file.
    assert ledger.head() == before + 11
    ids = [r.finding_id for r in result.rows]
    assert [s.finding_id for s in ledger.rows()] == ids
    record: ImportedFile = ledger.repository.get(
        ImportedFile.id_for(ledger.campaign.id, "d1")
    )
    assert record.finding_ids == ids


def test_a_row_without_a_plan_comes_in_waiting_for_one(
    ledger: Ledger, operator: Operator
) -> None:
    bare = row(4, measures="", deadline=None, responsible_unit="")

    result = ledger.import_sheet(operator, sheet(bare))

    state = ledger.row(result.rows[0].finding_id)
    assert (state.status, state.planned, state.deadline) == (
        Status.PENDING,
        False,
        None,
    )
    assert state.found_on == date(2022, 6, 7)


def test_one_bad_row_keeps_the_whole_file_out(
    ledger: Ledger, operator: Operator
) -> None:
    before = ledger.head()
    rows = (row(4), row(5, category="住房"), row(6, deadline=None))

    with pytest.raises(RowsRefusedError) as refused:
        ledger.import_sheet(operator, sheet(*rows))

    assert (refused.value.bad, refused.value.total) == (2, 3)
    assert ledger.head() == before
    assert ledger.rows() == []


def test_the_check_lists_every_problem_of_every_row(
    ledger: Ledger, operator: Operator
) -> None:
    rows = (
        row(4),
        row(5, category="住房", nature="严重", statement=" "),
        row(6, deadline=None, measures="", responsible_unit="县住建局"),
        row(7, deadline=date(2021, 6, 1)),
        row(8, check_item="9"),
    )

    result = ledger.check_import(operator, sheet(*rows))

    assert [r.number for r in result.good] == [4]
    assert problems(result) == {
        5: [
            ("category", UnknownValueError),
            ("nature", UnknownValueError),
            ("statement", EmptyTextError),
        ],
        6: [
            ("measures", EmptyTextError),
            ("deadline", UnknownValueError),
            ("responsible_unit", UnknownValueError),
        ],
        7: [("deadline", DateOutsideCampaignError)],
        8: [("check_item", UnknownValueError)],
    }
    assert not result.written
    assert ledger.rows() == []


def test_only_the_good_rows_come_in_when_chosen(
    ledger: Ledger, operator: Operator
) -> None:
    rows = (row(4), row(5, category="住房"), row(6))

    result = ledger.import_sheet(operator, sheet(*rows), only_good=True)

    assert [r.number for r in result.good] == [4, 6]
    assert [r.finding_id != "" for r in result.rows] == [True, False, True]
    assert len(ledger.rows()) == 2
    record: ImportedFile = ledger.repository.get(
        ImportedFile.id_for(ledger.campaign.id, "d1")
    )
    assert record.finding_ids == [result.rows[0].finding_id, result.rows[2].finding_id]


def test_the_same_file_twice_adds_nothing(ledger: Ledger, operator: Operator) -> None:
    ledger.import_sheet(
        operator, sheet(row(4), row(5, category="住房")), only_good=True
    )
    head = ledger.head()
    renamed = sheet(row(4), row(5), file_name="改名后.xlsx")

    with pytest.raises(AlreadyImportedError) as refused:
        ledger.import_sheet(operator, renamed)

    assert refused.value.previous_name == "褚河台账.xlsx"
    assert refused.value.findings == 1
    assert ledger.head() == head
    assert ledger.check_import(operator, renamed).previous is not None


def test_a_file_imported_meanwhile_stops_the_save_whole(
    ledger: Ledger, operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check saw no earlier import of the file, but one landed before the
    save: the record's conflict must keep the findings saved with it out too."""
    ledger.import_sheet(operator, sheet(row(4)))
    head = ledger.head()
    real = Ledger._previous_import
    calls: list[str] = []

    def unseen_at_first(self: Ledger, digest: str) -> Any:
        calls.append(digest)
        return None if len(calls) == 1 else real(self, digest)

    monkeypatch.setattr(Ledger, "_previous_import", unseen_at_first)

    with pytest.raises(AlreadyImportedError):
        ledger.import_sheet(operator, sheet(row(5, statement="另一条问题")))

    assert ledger.head() == head
    assert len(ledger.rows()) == 1


def test_a_statement_already_recorded_or_repeated_cannot_come_in(
    ledger: Ledger, operator: Operator, new_finding: Any
) -> None:
    existing = ledger.record(
        operator, new_finding(statement="马坪村刘某房屋未做安全性认定")
    )
    rows = (
        row(4, statement="马坪村刘某房屋 未做安全性认定"),
        row(5, statement="东村李某未参保"),
        row(6, statement="东村李某未参保"),
    )

    result = ledger.check_import(operator, sheet(*rows))

    errors = {p.row: p.error for p in result.problems}
    assert errors[4] == DuplicateFindingError(rows[0].statement, finding_id=existing)
    assert errors[6] == DuplicateFindingError(rows[2].statement, row=5)
    assert [r.number for r in result.good] == [5]


def test_a_repeated_row_names_what_it_says_otherwise_than_the_ledger(
    ledger: Ledger, operator: Operator
) -> None:
    """A later week's sheet with a new deadline was only called a duplicate."""
    first = row(4, category="健康扶贫", nature="共性", responsible_unit="卫健委")
    ledger.import_sheet(operator, sheet(first))
    same = row(4, category="健康扶贫", nature="共性问题", responsible_unit="市卫健委",
               measures="完成挂牌，\n逐户复核")
    later = row(5, statement=first.statement, category="教育扶贫",
                deadline=date(2022, 6, 25), measures="")

    result = ledger.check_import(operator, sheet(same, later, digest="d2"))

    errors = {p.row: p.error for p in result.problems}
    assert isinstance(errors[4], DuplicateFindingError)
    assert errors[4].differences == ()
    assert isinstance(errors[5], DuplicateFindingError)
    assert errors[5].differences == (
        ("category", "教育扶贫", "健康扶贫"),
        ("nature", "个性问题", "共性问题"),
        ("deadline", date(2022, 6, 25), date(2022, 6, 10)),
        ("responsible_unit", "市住建局", "市卫健委"),
    )


def test_the_check_item_is_the_first_of_its_category_unless_named(
    ledger: Ledger, operator: Operator
) -> None:
    rows = (
        row(4),
        row(5, check_item="3. 因地制宜选择危房改造方式"),
        row(6, check_item="危房改造质量达标"),
    )

    result = ledger.import_sheet(operator, sheet(*rows))

    assert [r.check_item for r in result.rows] == [1, 3, 5]
    assert result.defaulted_items == 1


def test_the_unit_comes_from_the_sheet_or_the_choice(
    ledger: Ledger, operator: Operator
) -> None:
    assert ledger.check_import(operator, sheet(row(4))).unit == UNIT
    assert ledger.check_import(
        operator, sheet(row(4), unit=""), unit="火龙镇"
    ).unit == ("火龙镇")
    # A unit line with a typo may be overruled by the choice.
    typo = sheet(row(4), unit="褚河街")
    assert ledger.check_import(operator, typo, unit=UNIT).unit == UNIT

    with pytest.raises(UnitNotGivenError):  # nobody is registered: whose is it?
        ledger.check_import(operator, sheet(row(4), unit=""))
    with pytest.raises(UnitMismatchError):
        ledger.check_import(operator, sheet(row(4)), unit="火龙镇")
    with pytest.raises(UnknownValueError):
        ledger.check_import(operator, typo)


def test_a_sheet_without_a_unit_line_is_its_registered_operators_unit(
    ledger: Ledger, operator: Operator
) -> None:
    """A unit's operator had to name their own unit for a sheet without one."""
    office = Operator("王主任", "市巩固拓展脱贫攻坚成果领导小组办公室")
    ledger.register_operator(office, office.name, office.unit, Role.OFFICE)
    ledger.register_operator(office, operator.name, UNIT, Role.UNIT)

    assert ledger.check_import(operator, sheet(row(4), unit="")).unit == UNIT
    # The office works for every unit: it must say which.
    with pytest.raises(UnitNotGivenError):
        ledger.check_import(office, sheet(row(4), unit=""))


def test_a_sealed_unit_or_an_empty_sheet_is_refused(
    ledger: Ledger, operator: Operator, clock: SetClock
) -> None:
    with pytest.raises(NothingToImportError):
        ledger.check_import(operator, sheet())

    from datetime import datetime

    clock.set(datetime(2022, 6, 21, 9, 0, tzinfo=SHANGHAI))
    ledger.seal(operator, UNIT, "王主任", force=True)
    with pytest.raises(UnitSealedError):
        ledger.check_import(operator, sheet(row(4)))


def test_found_days_are_the_latest_the_sheet_allows_in_its_order() -> None:
    rows = [
        (4, "housing", date(2022, 6, 20), None),
        (5, "water", date(2022, 6, 5), None),
        (6, "housing", date(2022, 6, 6), None),
        (7, "housing", date(2022, 6, 30), None),
        (8, "water", date(2022, 6, 30), date(2022, 6, 3)),
    ]

    days = found_days(rows, date(2022, 6, 14))

    assert days == {
        4: date(2022, 6, 6),  # not after row 6 of the same category
        5: date(2022, 6, 3),  # nor after row 8, whose found day the sheet gives
        6: date(2022, 6, 6),  # its deadline
        7: date(2022, 6, 14),  # the report day
        8: date(2022, 6, 3),
    }


def test_found_days_use_today_without_a_report_day_and_never_after_it(
    ledger: Ledger, operator: Operator
) -> None:
    late = date(2022, 6, 30)
    for report_day, digest in ((None, "a"), (date(2022, 6, 20), "b")):
        result = ledger.check_import(
            operator,
            sheet(row(4, deadline=late), report_day=report_day, digest=digest),
        )
        assert result.rows[0].found_on == ledger.today()


def test_after_the_campaign_a_sheet_without_a_report_day_is_found_by_its_last_day(
    ledger: Ledger, operator: Operator, clock: SetClock
) -> None:
    """Entered years later, a row due June 30 was given June 30 as its found day,
    which lies after the campaign, and refused for a day the sheet never gave."""
    clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI))
    result = ledger.check_import(
        operator, sheet(row(4, deadline=date(2022, 6, 30)), report_day=None)
    )

    assert problems(result) == {}
    assert result.rows[0].found_on == ledger.campaign.last_day


@pytest.mark.parametrize("day", [date(2022, 4, 1), date(2022, 6, 26), date(2030, 1, 1)])
def test_a_report_day_outside_the_campaign_refuses_the_sheet(
    ledger: Ledger, operator: Operator, day: date
) -> None:
    """A report day after the campaign was taken silently, and every row's
    found day fell back to its deadline; before it, each row was refused
    for a found day the sheet never gave."""
    with pytest.raises(DateOutsideCampaignError) as refused:
        ledger.check_import(operator, sheet(row(4), report_day=day))

    assert refused.value == DateOutsideCampaignError(
        "report_day", day, ledger.campaign.first_day, ledger.campaign.last_day
    )


def test_the_same_rules_as_typing_a_finding_in(
    ledger: Ledger, operator: Operator
) -> None:
    """Whatever record() refuses, the import refuses for that row."""
    typed = NewFinding(
        reporting_unit=UNIT,
        category="housing",
        check_item=1,
        nature="个性问题",
        statement="x" * 40_000,
        found_on=date(2022, 6, 7),
    )
    with pytest.raises(Exception) as by_hand:
        ledger.record(operator, typed)

    result = ledger.check_import(operator, sheet(row(4, statement=typed.statement)))

    (problem,) = result.problems
    assert type(problem.error) is type(by_hand.value)
    assert problem.error.args == by_hand.value.args
    assert vars(problem.error) == vars(by_hand.value)


def test_imported_rows_show_in_the_unit_ledger(
    ledger: Ledger, operator: Operator
) -> None:
    ledger.import_sheet(operator, sheet(row(4), row(5)))

    assert len(ledger.rows(LedgerQuery(unit=UNIT))) == 2
    assert ledger.rows(LedgerQuery(unit="火龙镇")) == []
