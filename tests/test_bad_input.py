"""Bad input at every door: each is refused in Chinese, or stored and exported as typed.

The doors are the screen's forms (driven by keys and pastes through Pilot) and
the command line's options (through `main`). A refusal must name the problem
in Chinese, leave the event log exactly as it was and show no traceback; an
accepted value must be stored as typed (trimmed) and read back the same from
the exported workbook.
"""

from __future__ import annotations

import logging
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest
from openpyxl import load_workbook
from textual import events
from textual.widgets import Input, Select, Static, TextArea

from domain.campaign import load_campaign
from domain.clock import SetClock
from domain.keys import new_key
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.state import FindingState
from exporters.official import write_official_sheet
from tests.conftest import SHANGHAI
from tests.exporters.workbooks import HEADER, TITLE, make_book, row_values
from tests.tui.pilot_keys import type_text
from tui.app import TaizhangApp
from tui.cli import main
from tui.finding_screen import FindingScreen
from tui.form import FormModal

OPERATOR = Operator("张三", "褚河街道")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LONG = "问" * 40_000
FULL = "措" * 32_767
EMOJI_FULL = "😀" * 16_383 + "a"  # 32,767 UTF-16 units: exactly one cell
EMOJI_OVER = "😀" * 20_000  # 20,000 characters but 40,000 units


@dataclass(frozen=True)
class Case:
    """One bad input at one door.

    `refused` is a fragment of the Chinese message that must appear; None
    means the value must be accepted and stored as `stored` (by default the
    text trimmed).
    """

    door: str
    field: str
    text: str
    refused: str | None = None
    stored: Any = None

    @property
    def expected(self) -> Any:
        return self.text.strip() if self.stored is None else self.stored

    def __str__(self) -> str:
        shown = (
            self.text if len(self.text) < 30 else f"{self.text[:12]}…({len(self.text)})"
        )
        return f"{self.door}:{self.field}={shown!r}"


@dataclass(frozen=True)
class Door:
    """A form: which key opens it, on a finding in which state, and its other fields."""

    key: str
    state: str = "recorded"  # the finding's state before the form opens ("" = none)
    fills: dict[str, str] = field(default_factory=dict)
    selects: dict[str, str] = field(default_factory=dict)


DOORS = {
    "new": Door(
        "n",
        "",
        {"statement": "东村王某住房未挂牌"},
        {"check_item": "1", "nature": "个性问题"},
    ),
    "new-plan": Door(
        "n",
        "",
        {
            "statement": "东村王某住房未挂牌",
            "measures": "挂牌",
            "deadline": "2022-06-20",
        },
        {"check_item": "1", "nature": "个性问题", "responsible_unit": "市住建局"},
    ),
    "plan": Door("p", "recorded", {"measures": "逐户复核", "deadline": "2022-06-20"}),
    "extend": Door("d", "planned", {"deadline": "2022-06-25", "reason": "雨季"}),
    "progress": Door("g", "planned", {"progress": "已联系住建局"}),
    "complete": Door("c", "planned", {"effect": "已挂牌"}),
    "accept": Door("a", "completed"),
    "reject": Door("b", "completed", {"remarks": "位置不醒目"}),
    "correct": Door(
        "k", "recorded", {"value": "新的表述", "reason": "笔误"}, {"field": "statement"}
    ),
    "correct-item": Door(
        "k", "recorded", {"value": "2", "reason": "选错"}, {"field": "check_item"}
    ),
    "correct-category": Door(
        "k",
        "recorded",
        {"value": "健康扶贫", "category_item": "1", "reason": "选错"},
        {"field": "category"},
    ),
    "correct-nature": Door(
        "k", "recorded", {"value": "共性问题", "reason": "选错"}, {"field": "nature"}
    ),
    "withdraw": Door("w", "recorded", {"reason": "重复登记"}),
}

# Form fields whose event field has another name.
EVENT_FIELD = {"found_on": "on", "value": "new"}

FORM_CASES = [
    # Empty and whitespace-only text in required fields.
    Case("new", "statement", "", "必填"),
    Case("new", "statement", "  \u3000 \t", "必填"),
    Case("plan", "measures", "\n\n", "必填"),
    Case("complete", "effect", "   ", "必填"),
    Case("reject", "remarks", "\u3000", "必填"),
    Case("withdraw", "reason", " ", "必填"),
    Case("correct", "value", "  ", "必填"),
    # Optional fields may stay empty.
    Case("new", "village", "   "),
    Case("accept", "remarks", ""),
    # Longer than a cell holds, counted as a spreadsheet counts.
    Case("new", "statement", LONG, "超过表格单元格上限"),
    Case("new", "statement", EMOJI_OVER, "超过表格单元格上限"),
    Case("new", "statement", EMOJI_FULL),
    Case("plan", "measures", FULL),
    Case("plan", "measures", FULL + "措", "超过表格单元格上限"),
    Case("new", "village", LONG, "超过表格单元格上限"),
    Case("new-plan", "responsible_leader", LONG, "超过表格单元格上限"),
    Case("new", "responsible_leader", "李主任", "完成时限"),
    Case("withdraw", "reason", LONG, "超过表格单元格上限"),
    # Control characters, NUL, unpaired surrogates.
    Case("new", "statement", "水压\x07不足", "控制字符"),
    Case("new", "statement", "\x1b[31m红字\x1b[0m", "控制字符"),
    Case("new", "statement", "前\x00后", "控制字符"),
    Case("new", "statement", "坏\ud800字", "无法识别的字符"),
    Case("new", "household_head", "王某某\x00", "控制字符"),
    # A pasted vertical tab (Word's line break) becomes a line break in the box.
    Case("new", "cause", "原因\x0b分析", stored="原因\n分析"),
    Case("reject", "remarks", "删除\x7f符", "控制字符"),
    # The refusal names the field as its form labels it (作废原因, not 原因).
    Case("withdraw", "reason", "标题\x1b]0;x\x07", "“作废原因”"),
    Case("progress", "evidence", "照片1\x07，照片2", "控制字符"),
    # Zero-width characters and direction marks are text; overrides are not.
    Case("new", "statement", "王某\u200b某家"),
    Case("new", "village", "\u200f右到左标记"),
    Case("new", "statement", "\u202e反向显示", "改变文字显示方向"),
    Case("new", "village", "\u202d村", "改变文字显示方向"),
    Case("extend", "reason", "\u2066隔离\u2069", "改变文字显示方向"),
    Case("correct", "value", "\u202b覆盖", "改变文字显示方向"),
    # Emoji.
    Case("new", "cause", "家中有😀和👨\u200d👩\u200d👧"),
    Case("new", "village", "😀村"),
    Case("progress", "progress", "已完成👍"),
    Case("withdraw", "reason", "撤回（重复）👍"),
    # Formula-like text is stored and exported as text.
    Case("new", "statement", "=1+1"),
    Case("new", "cause", "-2+3"),
    Case("new", "household_head", '=HYPERLINK("http://x","点")'),
    Case("plan", "responsible_leader", "@SUM(A1)"),
    Case("complete", "effect", "+cmd|' /C calc'!A0"),
    Case("correct", "value", "=1+1"),
    # SQL fragments are plain text.
    Case("new", "household_head", "'; DROP TABLE stored_events; --"),
    Case("extend", "reason", "SELECT * FROM ledger_rows WHERE 1=1"),
    Case("new", "household_head", "  王某某  "),
    Case("progress", "evidence", "照片1，照片2", stored=["照片1", "照片2"]),
    # Impossible dates.
    Case("new", "found_on", "2022-02-30", "该月没有这一天"),
    Case("new", "found_on", "6月31日", "该月没有这一天"),
    Case("plan", "deadline", "2022-13-01", "月份应为 1 到 12"),
    Case("progress", "on", "6月31日", "该月没有这一天"),
    Case("new", "found_on", "2022-06-01\x00", "不是有效日期"),
    Case("new", "found_on", "6月1日 =1+1", "不是有效日期"),
    Case("new", "found_on", "", "必填"),
    Case("correct-item", "value", "²", "不在本次工作的定义中"),
    Case("correct-item", "value", "99999999999999999999", "不在本次工作的定义中"),
    # A name that is not one lists the names there are.
    Case("correct-category", "value", "住房", "可填：农村危房改造、健康扶贫"),
    Case("correct-nature", "value", "普遍问题", "可填：共性问题、个性问题"),
    # Dates before the campaign or decades ahead.
    Case("new", "found_on", "2021-06-01", "不在本次工作的时间范围内"),
    Case("new", "found_on", "2052-06-01", "不在本次工作的时间范围内"),
    Case("new", "found_on", "2022-06-20", "晚于今天"),
    Case("new-plan", "deadline", "1999-01-01", "不在本次工作的时间范围内"),
    Case("new-plan", "deadline", "2099-12-31", "不在本次工作的时间范围内"),
    Case("plan", "deadline", "9999-12-31", "不在本次工作的时间范围内"),
    Case("extend", "deadline", "2122-06-30", "不在本次工作的时间范围内"),
    Case("extend", "deadline", "2022-06-19", "必须晚于原时限"),
    Case("progress", "on", "2022-05-20", "早于"),
    Case("progress", "on", "2030-01-01", "晚于今天"),
    # Odd but valid dates are read as meant.
    Case("new", "found_on", "２０２２－０６－０１", stored=date(2022, 6, 1)),
    Case("new-plan", "deadline", "6月20日前", stored=date(2022, 6, 20)),
]


def seed(ledger: Ledger, clock: SetClock, state: str) -> str:
    """Record a finding and take it to `state` through the ledger's own commands."""
    finding_id = ledger.record(
        OPERATOR,
        NewFinding(
            reporting_unit="褚河街道",
            category="housing",
            check_item=1,
            nature="个性问题",
            statement="东村王某住房未挂牌",
            found_on=date(2022, 6, 1),
        ),
    )
    if state in ("planned", "completed"):
        ledger.plan(
            OPERATOR,
            finding_id,
            1,
            measures="挂牌",
            deadline=date(2022, 6, 20),
            responsible_unit="市住建局",
        )
    if state == "completed":
        ledger.complete(OPERATOR, finding_id, 2, on=ledger.today(), effect="已挂牌")
    return finding_id


async def put(pilot: Any, name: str, text: str) -> None:
    """Enter text as an operator would: typed when short and plain, else pasted."""
    widget = pilot.app.screen.query_one(f"#field-{name}")
    widget.focus()
    await pilot.pause()
    if isinstance(widget, TextArea):
        widget.clear()
    else:
        widget.value = ""
    if len(text) < 40 and text.isprintable():
        await type_text(pilot, text)
    else:
        # As a terminal delivers a paste: to the app, which hands it to the focus.
        pilot.app.post_message(events.Paste(text))
        await pilot.pause()


def form_message(screen: FormModal) -> str:
    parts = [str(w.render()) for w in screen.query(".form-error, #form-message")]
    return " ".join(p for p in parts if p)


def recorded(ledger: Ledger, finding_id: str) -> dict[str, Any]:
    """Every value the finding's events hold, later events winning."""
    values: dict[str, Any] = {}
    for entry in ledger.history(finding_id):
        values.update(entry.details)
        values["on"] = entry.on
    return values


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail when anything logged a traceback: a refusal is never a fault."""
    with caplog.at_level(logging.INFO):
        yield
    faults = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not faults, [r.getMessage() for r in faults]


def exported_texts(ledger: Ledger, path: Path) -> set[str]:
    write_official_sheet(ledger.official_sheet("褚河街道"), path)
    workbook = load_workbook(path)
    return {
        cell.value
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


def field_text(form: FormModal, name: str) -> str:
    widget = form.query_one(f"#field-{name}")
    if isinstance(widget, TextArea):
        return widget.text
    assert isinstance(widget, Input)
    return widget.value


async def open_form(
    pilot: Any, app: TaizhangApp, ledger: Ledger, clock: SetClock, door: Door
) -> tuple[FormModal, str]:
    """Open a door's form (on a fresh finding for a step) with its usual values in."""
    finding_id = ""
    if door.state:
        finding_id = seed(ledger, clock, door.state)
        await app.push_screen(FindingScreen(ledger, finding_id))
        await pilot.pause()
    await pilot.press(door.key)
    await pilot.pause()
    form = app.screen
    assert isinstance(form, FormModal), door
    for name, value in door.selects.items():
        form.query_one(f"#field-{name}", Select).value = value
        await pilot.pause()
    for name, value in door.fills.items():
        await put(pilot, name, value)
    return form, finding_id


async def back_to_ledger(pilot: Any, app: TaizhangApp) -> None:
    while isinstance(app.screen, (FindingScreen, FormModal)):
        app.pop_screen()
        await pilot.pause()


async def try_refused(
    pilot: Any,
    app: TaizhangApp,
    ledger: Ledger,
    clock: SetClock,
    door: Door,
    cases: list[Case],
) -> list[str]:
    """Type each bad value into one open form; each must be refused, nothing stored."""
    form, _ = await open_form(pilot, app, ledger, clock, door)
    usual = {
        f.name: field_text(form, f.name) for f in form.fields if f.kind != "select"
    }
    problems = []
    for case in cases:
        before = ledger.head()
        await put(pilot, case.field, case.text)
        await pilot.press("ctrl+s")
        await pilot.pause()
        if app.screen is not form:
            problems.append(f"{case}: accepted what should be refused")
            await back_to_ledger(pilot, app)
            form, _ = await open_form(pilot, app, ledger, clock, door)
        else:
            message = form_message(form)
            if case.refused not in message or not CHINESE.search(message):
                problems.append(f"{case}: message {message!r}")
            elif "操作失败" in message:
                problems.append(f"{case}: a fault, not a refusal: {message!r}")
        if ledger.head() != before:
            problems.append(f"{case}: refused, but the log grew")
        await put(pilot, case.field, usual[case.field])
    await back_to_ledger(pilot, app)
    return problems


def rounds(cases: list[Case]) -> list[list[Case]]:
    """Share one save among cases of different fields, so fewer forms open."""
    grouped: list[list[Case]] = []
    for case in cases:
        for group in grouped:
            if all(c.field != case.field for c in group):
                group.append(case)
                break
        else:
            grouped.append([case])
    return grouped


async def try_accepted(
    pilot: Any,
    app: TaizhangApp,
    ledger: Ledger,
    clock: SetClock,
    door: Door,
    cases: list[Case],
) -> list[str]:
    """Save odd but valid values; each must be stored exactly as expected."""
    problems = []
    for group in rounds(cases):
        known = {s.finding_id for s in ledger.rows()}
        form, finding_id = await open_form(pilot, app, ledger, clock, door)
        for case in group:
            await put(pilot, case.field, case.text)
        await pilot.press("ctrl+s")
        await pilot.pause()
        if app.screen is form:
            problems.append(f"{group[0]}…: refused {form_message(form)!r}")
        else:
            if not finding_id:
                (finding_id,) = {s.finding_id for s in ledger.rows()} - known
            values = recorded(ledger, finding_id)
            for case in group:
                stored = values.get(EVENT_FIELD.get(case.field, case.field))
                if stored != case.expected:
                    problems.append(f"{case}: stored {str(stored)[:40]!r}")
        await back_to_ledger(pilot, app)
    return problems


@pytest.mark.parametrize(
    "doors",
    [
        ("new", "new-plan"),
        ("plan", "extend", "progress", "complete"),
        ("accept", "reject", "correct", "correct-item", "withdraw"),
        ("correct-category", "correct-nature"),
    ],
    ids=["new-finding", "rectification", "acceptance-and-corrections", "names"],
)
async def test_every_form_field_refuses_in_chinese_or_keeps_the_text(
    doors: tuple[str, ...],
    ledger: Ledger,
    clock: SetClock,
    tmp_path: Path,
    no_tracebacks: None,
) -> None:
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    problems: list[str] = []

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for name in doors:
            cases = [c for c in FORM_CASES if c.door == name]
            refused = [c for c in cases if c.refused is not None]
            kept = [c for c in cases if c.refused is None]
            if refused:
                problems += await try_refused(
                    pilot, app, ledger, clock, DOORS[name], refused
                )
            if kept:
                problems += await try_accepted(
                    pilot, app, ledger, clock, DOORS[name], kept
                )

    assert not problems, "\n".join(problems)
    texts = exported_texts(ledger, tmp_path / "check.xlsx")
    exported_fields = {
        "statement",
        "measures",
        "cause",
        "progress",
        "value",
        "responsible_leader",
    }
    for case in FORM_CASES:
        if (
            case.door in doors
            and case.refused is None
            and case.field in exported_fields
        ):
            assert case.expected in texts, f"{case}: not exported as typed"


def test_the_table_is_large_enough() -> None:
    """The issue asks for at least 60 bad inputs across the doors."""
    assert len(FORM_CASES) + len(CLI_CASES) + len(DIALOG_CASES) >= 60
    assert len(IMPORTER_CASES) >= 20


# The app's own dialogs: export path, the moment to look back to, the seal.
DIALOG_CASES = [
    Case("export", "path", "a\x00b.xlsx", "空字符"),
    Case("export", "path", "no-such-folder/x.xlsx", "文件夹不存在"),
    Case("export", "path", "台账.csv", "须以 .xlsx 结尾"),
    Case("export", "path", "no-such-folder/dir/", "文件夹不存在"),
    Case("export", "path", "a" * 300 + ".xlsx", "文件名太长"),
    Case("export", "path", "名 字;$(rm -rf x)&|.xlsx"),
    Case("export", "path", "=1+1.xlsx"),
    Case("travel", "moment", "9999-12-31", "超出可处理的范围"),
    Case("travel", "moment", "0001-01-01 00:00", "超出可处理的范围"),
    Case("travel", "moment", "2022-02-30", "该月没有这一天"),
    Case("travel", "moment", "6月10日 25:00", "时刻应为 00:00 到 23:59"),
    Case("travel", "moment", "'; DROP TABLE x; --", "不是有效日期"),
    Case("travel", "moment", "2080-01-01", "还没有到"),
    Case("travel", "moment", "2022-06-01"),
    Case("seal", "signer", "   ", "必填"),
    Case("seal", "signer", "王\x07主任", "控制字符"),
]

DIALOG_KEYS = {"export": "e", "travel": "t"}


async def test_dialog_fields_refuse_in_chinese_or_do_the_job(
    ledger: Ledger, clock: SetClock, tmp_path: Path, no_tracebacks: None
) -> None:
    seed(ledger, clock, "planned")
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)
    problems: list[str] = []

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for case in DIALOG_CASES:
            before = ledger.head()
            if case.door == "seal":
                app.action_seal()
            else:
                await pilot.press(DIALOG_KEYS[case.door])
            await pilot.pause()
            form = app.screen
            assert isinstance(form, FormModal), case
            if case.door == "export":
                case = Case(
                    case.door, case.field, str(tmp_path / case.text), case.refused
                )
            await put(pilot, case.field, case.text)
            await pilot.press("ctrl+s")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            if case.refused is not None:
                message = form_message(form) if app.screen is form else ""
                if case.refused not in message:
                    problems.append(f"{case}: message {message!r}")
                while isinstance(app.screen, FormModal):
                    await pilot.press("escape")
                    await pilot.pause()
            elif app.screen is form:
                problems.append(f"{case}: refused {form_message(form)!r}")
            elif case.door == "export":
                written = Path(case.text)
                if not written.is_file():
                    problems.append(f"{case}: no file written")
                elif stat.S_IMODE(written.stat().st_mode) != 0o600:
                    problems.append(f"{case}: readable by others")
            elif case.door == "travel":
                banner = str(app.screen.query_one("#history-banner", Static).render())
                if "2022年6月1日结束时" not in banner:
                    problems.append(f"{case}: banner {banner!r}")
                await pilot.press("t")  # back to the present
                await pilot.pause()
            if ledger.head() != before:
                problems.append(f"{case}: the log grew")

    assert not problems, "\n".join(problems)


# Command-line options. "{tmp}" is the test's folder; "{store}" the seeded store.
CLI_CASES: list[tuple[list[str], str | None]] = [
    (["--store", "a\x00b", "check"], "空字符"),
    (["--store", "{tmp}/missing/x.sqlite", "check"], "文件夹不存在"),
    (["--store", "file::memory:", "check"], ":memory:"),
    (["--store", "{tmp}/notes.txt", "check"], "不是台账数据文件"),
    (["--store", "{tmp}", "check"], "它是一个文件夹"),
    (["--campaign", "{tmp}/none.toml", "check"], "文件不存在"),
    (["--campaign", "{tmp}/notes.txt", "check"], "工作定义文件"),
    (["--operator", "", "check"], "不能为空"),
    (["--operator", "   ", "check"], "不能为空"),
    (["--operator", "张\x1b[2J三", "check"], "控制字符"),
    # A name goes on one line of every record: no tab, no line break.
    (["--operator", "张\t三", "check"], "制表符"),
    (["operator", "add", "王\n五", "--unit", "褚河街道", "--role", "办公室"], "换行符"),
    (["seal", "--signer", "王\t主任"], "制表符"),
    # A name with a zero-width space looks like another: 张​三 beside 张三.
    (["operator", "add", "张\u200b三", "--unit", "褚河街道", "--role", "办公室"], "看不见的字符"),
    (["--operator", "王" * 40_000, "check"], "超过表格单元格上限"),
    (["--unit", "不存在的镇", "check"], "不在本次工作的定义中"),
    (["bundle", "import", "no-such.tzb"], "文件不存在"),
    # A name pasted with a space after it is the unit all the same.
    (["--unit", "褚河街道 ", "export", "--unit", " 褚河街道", "-o", "x.xlsx"], None),
    (["--unit", "褚河街道\u202e", "check"], "[U+202E]"),
    (["export", "--week", "0"], "周次从 1 起算"),
    (["export", "--week", "abc"], "周次应是数字"),
    (["export", "--week", "99"], "没有第 99 周"),
    (["export", "--week", "1e3"], "周次应是数字"),
    (["export", "-o", "{tmp}/台账.csv"], "须以 .xlsx 结尾"),
    (["export", "-o", "{tmp}/nofolder/x.xlsx"], "文件夹不存在"),
    (["export", "-o", "{tmp}/nofolder/dir/"], "文件夹不存在"),
    # A folder that exists but takes no files says ENOENT too (Linux).
    (["export", "-o", "/proc/x.xlsx"], "该文件夹中不能新建文件"),
    (["export", "-o", "{tmp}/" + "a" * 300 + ".xlsx"], "文件名太长"),
    (["export", "--unit", "'; DROP TABLE ledger_rows; --"], "不在本次工作的定义中"),
    (["export", "-o", "{tmp}/名 字;$(rm -rf x)&|.xlsx"], None),
    (
        ["--store", "{tmp}/store.xlsx", "export", "-o", "{tmp}/store.xlsx"],
        "就是台账数据文件",
    ),
    (["replay", "--as-of", "2022-02-30"], "该月没有这一天"),
    (["replay", "--as-of", "2022-13-01"], "月份应为 1 到 12"),
    (["replay", "--as-of", "2022-06-10 18点"], "请写成 2022-06-10 18:00"),
    (["replay", "--as-of", "2022-06-10T18:00:30+08:00"], None),
    (["replay", "--as-of", "2022-06-10T25:00:30Z"], "时刻应为 00:00 到 23:59"),
    (["replay", "--as-of", "9999-12-31"], "超出可处理的范围"),
    (["replay", "--as-of", "0001-01-01 00:00"], "超出可处理的范围"),
    (["replay", "--as-of", "'; DROP TABLE x; --"], "不是有效日期"),
    (["replay", "--as-of", "2080-01-01"], "还没有到"),
    (["replay", "--as-of", "2022-06-01"], None),
    (["week", "-1"], "周次从 1 起算"),
    (["sample", "--per-stratum", "0"], "须为 1 到 10000 之间的整数"),
    (["sample", "--per-stratum", "1", "--seed", "x"], "种子应是整数"),
    (["sample", "--redraw", "'; DROP TABLE stored_events; --"], "找不到抽样记录"),
    (["undo", "not-a-uuid\x1b[2J"], "[U+001B]"),
    (["undo", "00000000-0000-0000-0000-000000000000"], "找不到问题"),
    (["seal", "--signer", "   "], "不能为空"),
    (["seal", "--signer", "王\x07"], "控制字符"),
    (["submit", "--week", "99"], "不在本次工作的定义中"),
    (["demo", "--seed", "abc"], "种子应是整数"),
    (["--key-file", "{tmp}/none.key", "check"], "不存在"),
    (["--key-file", "{tmp}/open.key", "check"], "chmod 600"),
    (["--key-file", "{tmp}/bad.key", "check"], "不是有效的密钥"),
    (["--key-file", "{tmp}", "check"], "不是普通文件"),
    (["keygen", "{tmp}/bad.key"], "不会覆盖"),
    (["keygen", "{tmp}/missing/new.key"], "无法创建"),
    # The unit given before the command, as export takes it.
    (["week", "1", "-o", "{tmp}/差异.xlsx"], None),
    (["week", "1", "--unit", "褚河街道", "-o", "{tmp}/差异.csv"], "须以 .xlsx 结尾"),
    (["week", "1", "--unit", "\u202e褚河街道"], "[U+202E]"),
    (["check", "--unit", "褚河街道\x1b[0m"], "[U+001B]"),
    (["signals", "--unit", "王" * 40_000], "共 40000 个字符"),
    (["replay", "--as-of", "2022-06-10", "--unit", "无此单位"], "不在本次工作的定义中"),
    (["verify", "--against", "{tmp}/missing.xlsx"], "找不到该文件"),
    (["export", "--masked", "-o", "{tmp}/脱敏.xlsx"], None),
    (["sample", "--list"], None),
]


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("TAIZHANG_OPERATOR", raising=False)
    monkeypatch.delenv("TAIZHANG_UNIT", raising=False)
    monkeypatch.delenv("TAIZHANG_KEY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_bytes(b"\x00\xffnot a store or a campaign")
    (tmp_path / "open.key").write_text(new_key())
    (tmp_path / "open.key").chmod(0o644)
    (tmp_path / "bad.key").write_text("这不是密钥")
    (tmp_path / "bad.key").chmod(0o600)
    store = tmp_path / "ledger.sqlite"
    clock = SetClock(datetime(2022, 6, 2, 10, 0, tzinfo=SHANGHAI))
    ledger = open_ledger(load_campaign(), store, clock)
    seed(ledger, clock, "planned")
    ledger.close()
    yield store


def head_of(store: Path) -> int:
    if not store.is_file():
        return 0
    ledger = open_ledger(load_campaign(), store)
    try:
        return ledger.head()
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("argv", "refused"),
    CLI_CASES,
    ids=[" ".join(a)[:60].encode("unicode_escape").decode() for a, _ in CLI_CASES],
)
def test_every_command_line_option_refuses_in_chinese_or_works(
    argv: list[str],
    refused: str | None,
    cli_store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--store" not in argv:
        argv = ["--store", str(cli_store), *argv]
    # The clerk's unit, which commands for one's own unit need without a register.
    argv = ["--unit", "褚河街道", *argv]
    before = head_of(cli_store)

    code = main(argv)

    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if refused is None:
        assert code == 0, err
    else:
        # A refusal goes to stderr; verify reports what it checked on stdout.
        said = err or out
        assert code in (1, 2), (code, out, err)
        assert refused in said, said
        assert CHINESE.search(said), said
        assert "操作失败" not in said and "意外错误" not in said, said
        assert len(said) < 400, said
    assert head_of(cli_store) == before


# The importer's door: a hand-kept ledger in the official form, two findings
# (sheet rows 4 and 5), the case's text in one cell of row 5, in the unit
# line ("unit"), or as the file's name given to `taizhang import` ("file").
# The other columns a sheet may carry go in column H.
OFFICIAL_FIELDS = (
    "number",
    "category",
    "nature",
    "statement",
    "measures",
    "deadline",
    "responsible_unit",
)
IMPORT_COLUMNS = {
    **dict(zip(OFFICIAL_FIELDS, HEADER, strict=True)),
    "cause": "产生原因及分析",
    "responsible_leader": "责任领导",
    "found_on": "发现日期",
    "remarks": "备注",
}
SLOT = "⟦单元格⟧"

IMPORTER_CASES = [
    # Empty and whitespace-only cells in required columns.
    Case("import", "statement", "", "不能为空"),
    Case("import", "statement", "  \u3000 \t", "不能为空"),
    Case("import", "category", "   ", "未填写"),
    Case("import", "nature", "\u3000", "未填写"),
    Case("import", "measures", "\n\n", "不能为空"),
    Case("import", "deadline", " ", "未填写"),
    Case("import", "responsible_unit", "", "未填写"),
    # Longer than a cell holds, counted as a spreadsheet counts.
    Case("import", "statement", LONG, "超过表格单元格上限"),
    Case("import", "cause", EMOJI_OVER, "超过表格单元格上限"),
    Case("import", "measures", FULL),
    # Control characters and NUL (a workbook holds them as _x0007_).
    Case("import", "statement", "水压\x07不足", "控制字符"),
    Case("import", "statement", "前\x00后", "控制字符"),
    Case("import", "measures", "\x1b[31m红字\x1b[0m", "控制字符"),
    Case("import", "responsible_leader", "李主任\x08", "控制字符"),
    Case("import", "cause", "原因\x0b分析", "控制字符"),
    Case("import", "statement", "删除\x7f符", "控制字符"),
    Case("import", "remarks", "已入户核实\x1b", "控制字符"),
    Case("import", "deadline", "2022-06-10\x00", "不是有效日期"),
    Case("import", "statement", "第一行\n第二行"),
    # Zero-width characters and direction marks are text; overrides are not.
    Case("import", "statement", "王某\u200b某家住房未挂牌"),
    Case("import", "statement", "\u200f右到左标记"),
    Case("import", "statement", "\u202e反向显示", "改变文字显示方向"),
    Case("import", "measures", "\u2066隔离\u2069", "改变文字显示方向"),
    # Emoji.
    Case("import", "statement", "家中有😀和👨\u200d👩\u200d👧"),
    Case("import", "responsible_leader", "李主任👍"),
    Case("import", "responsible_unit", "市住建局😀", "不在本次工作的定义中"),
    # Formula-like text is stored and exported as text.
    Case("import", "statement", "=1+1"),
    Case("import", "statement", '=HYPERLINK("http://x","点")'),
    Case("import", "measures", "+cmd|' /C calc'!A0"),
    Case("import", "cause", "-2+3"),
    Case("import", "responsible_leader", "@SUM(A1)"),
    Case("import", "remarks", "=1+1", stored="备注：=1+1"),
    # Impossible dates.
    Case("import", "deadline", "2022-02-30", "该月没有这一天"),
    Case("import", "deadline", "6月31日", "该月没有这一天"),
    Case("import", "found_on", "2022-02-30", "该月没有这一天"),
    Case("import", "found_on", "6月31日", "该月没有这一天"),
    # Dates before the campaign or decades ahead.
    Case("import", "deadline", "2021-06-01", "不在本次工作的时间范围内"),
    Case("import", "deadline", "2052-06-01", "不在本次工作的时间范围内"),
    Case("import", "deadline", "9999-12-31", "不在本次工作的时间范围内"),
    Case("import", "found_on", "2021-06-01", "不在本次工作的时间范围内"),
    Case("import", "found_on", "2052-06-01", "不在本次工作的时间范围内"),
    # Odd but valid dates are read as meant.
    Case("import", "deadline", "6月20日前", stored=date(2022, 6, 20)),
    Case("import", "deadline", "２０２２－０６－２０", stored=date(2022, 6, 20)),
    # SQL fragments are plain text, and no name.
    Case("import", "statement", "'; DROP TABLE stored_events; --"),
    Case("import", "measures", "SELECT * FROM ledger_rows WHERE 1=1"),
    Case("import", "responsible_unit", "'; DROP TABLE x; --", "不在本次工作的定义中"),
    Case("import", "category", "饮水安全' OR '1'='1", "不在本次工作的定义中"),
    # Odd unit names: spaces and the dropped 市 are read as meant, others refused.
    Case("import", "responsible_unit", "住建局", stored="市住建局"),
    Case("import", "responsible_unit", "市 住 建 局\u3000", stored="市住建局"),
    Case("import", "responsible_unit", "市住建局\u200b", "不在本次工作的定义中"),
    Case("import", "unit", "\u3000褚河街道\u3000", stored="褚河街道"),
    # The unit line's name ends at its first space, since a date may follow.
    Case("import", "unit", "褚 河 街 道", "值“褚”不在本次工作的定义中"),
    Case("import", "unit", "不存在的镇", "不在本次工作的定义中"),
    Case("import", "unit", "褚河街道\u202e", "[U+202E]"),
    # Odd file names, as typed in the file's folder.
    Case("import", "file", "褚河 街道 台账 (1).xlsx"),
    Case("import", "file", "褚河街道整改台账.xlsx"),
    Case("import", "file", "./-台账.xlsx", stored="-台账.xlsx"),
    Case("import", "file", "-台账.xlsx", "缺少参数"),
    Case("import", "file", "台账" * 40 + ".xlsx"),
    Case("import", "file", "褚河台账"),
]


# Characters XML cannot hold; a workbook writes them as _x0007_ (ECMA-376 ST_Xstring).
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def as_excel_writes(text: str) -> str:
    """Return text as a cell's XML holds it: controls as _xHHHH_, then XML-escaped."""
    return xml_escape(XML_UNSAFE.sub(lambda m: f"_x{ord(m[0]):04X}_", text))


def import_book(folder: Path, case: Case) -> Path:
    """Write the official form with the case's cell in it, as another program would.

    openpyxl lays the sheet out; the case's text is then put into the cell's
    XML as it stands, so openpyxl neither cuts it at 32,767 characters nor
    turns =1+1 into a formula nor refuses a control character.
    """
    rows = [row_values(1), row_values(2)]
    header = list(HEADER)
    unit_line = "单位（盖章）：褚河街道"
    if case.field == "unit":
        unit_line = "单位（盖章）：" + SLOT
    elif case.field in OFFICIAL_FIELDS:
        rows[1][OFFICIAL_FIELDS.index(case.field)] = SLOT
    elif case.field != "file":
        header.append(IMPORT_COLUMNS[case.field])
        rows[1].append(SLOT)
    name = case.text if case.field == "file" else "台账.xlsx"
    path = make_book(folder / name, rows, above=[(TITLE,), (unit_line,)], header=header)
    if case.field == "file":
        return path

    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            if info.filename == "xl/worksheets/sheet1.xml":
                slot, text = SLOT.encode(), as_excel_writes(case.text).encode()
                assert data.count(slot) == 1, case
                data = data.replace(slot, text)
            archive.writestr(info, data)
    return path


def import_problem_line(case: Case) -> re.Pattern[str]:
    """The report's line for the case's cell: row 5, its column, then the reason."""
    assert case.refused is not None
    if case.field == "remarks":
        column = "表外各列（备注）"
    elif case.field in OFFICIAL_FIELDS:
        letter = "ABCDEFG"[OFFICIAL_FIELDS.index(case.field)]
        column = f"{letter}列 {IMPORT_COLUMNS[case.field]}"
    else:
        column = f"H列 {IMPORT_COLUMNS[case.field]}"
    return re.compile(
        rf"^5\s+{re.escape(column)}\s+.*{re.escape(case.refused)}", re.MULTILINE
    )


def exported_cells(path: Path, header: str) -> list[Any]:
    """Every cell under a column headed so, on every sheet of an exported workbook."""
    found = []
    for ws in load_workbook(path):
        heads = [c for row in ws.iter_rows(max_row=5) for c in row if c.value == header]
        if heads:
            column, top = heads[0].column, heads[0].row
            cells = ws.iter_rows(min_row=top + 1, min_col=column, max_col=column)
            found += [cell for (cell,) in cells]
    return found


def stored_row(store: Path, row: int) -> FindingState:
    """The finding that a sheet row became."""
    ledger = open_ledger(load_campaign(), store)
    try:
        (state,) = [s for s in ledger.rows() if s.source_ref.endswith(f" 第{row}行")]
        return state
    finally:
        ledger.close()


@pytest.mark.parametrize("case", IMPORTER_CASES, ids=str)
def test_importer_refuses_in_chinese_or_keeps_the_cell(
    case: Case,
    cli_store: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_tracebacks: None,
) -> None:
    path = import_book(tmp_path, case)
    given = case.text if case.field == "file" else str(path)
    before = head_of(cli_store)

    code = main(["--store", str(cli_store), "--operator", "张三", "import", given])

    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if case.refused is not None:
        assert code == 2, (code, out, err)
        assert CHINESE.search(err), err
        assert "操作失败" not in err and "意外错误" not in err, err
        if case.field in IMPORT_COLUMNS:
            assert import_problem_line(case).search(out), out
            assert "未写入任何内容" in err, err
        else:
            assert case.refused in err, err
        assert head_of(cli_store) == before
        return

    assert code == 0, err
    # Two findings, recorded and planned, and the record of the file.
    assert head_of(cli_store) == before + 5
    state = stored_row(cli_store, 5)
    if case.field == "file":
        assert state.source_ref == f"{case.expected} 第5行"
        return
    stored = getattr(state, "reporting_unit" if case.field == "unit" else case.field)
    assert stored == case.expected

    exported = tmp_path / "导出.xlsx"
    export = ["export", "--unit", "褚河街道", "-o", str(exported)]
    assert main(["--store", str(cli_store), *export]) == 0, capsys.readouterr().err
    if case.field in ("unit", "remarks"):
        return  # the form has no column for these
    cells = exported_cells(exported, IMPORT_COLUMNS[case.field])
    assert cells, f"no column {IMPORT_COLUMNS[case.field]} in the export"
    if isinstance(case.expected, date):
        assert case.expected in {c.value.date() for c in cells if c.value}
        return
    same = [c for c in cells if c.value == case.expected]
    assert same, [str(c.value)[:40] for c in cells]
    assert all(c.data_type == "s" for c in same), "formula-like text became a formula"
