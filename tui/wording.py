"""Chinese wording of every refusal, shared by the screens and the command line."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from eventsourcing.persistence import PersistenceError

from domain import errors as e
from domain.audit import LateEntry, late_counts
from domain.campaign import Campaign, CampaignError
from domain.checks import Problem, ProblemKind
from domain.dates import DayParseError, format_day
from domain.importing import ImportResult, RowProblem
from domain.inspection import Signal, SignalKind
from domain.state import SHORT_ID, FindingState, Status
from domain.text import CELL_LIMIT
from exporters import ledger_import as li
from exporters.destination import FILE_EXISTS, ExportError
from exporters.ledger_import import ImportFileError

FIELD_NAMES = {
    "reporting_unit": "填报单位",
    "unit": "单位",
    "category": "问题类型",
    "check_item": "排查内容",
    "nature": "问题性质",
    "statement": "问题表述",
    "cause": "产生原因及分析",
    "found_on": "发现日期",
    "report_day": "表头日期",
    "source": "问题来源",
    "village": "村（社区）",
    "household_head": "户主",
    "household_kind": "户类型",
    "measures": "整改措施",
    "deadline": "完成时限",
    "responsible_unit": "责任单位",
    "responsible_leader": "责任领导",
    "reason": "原因",
    "approved_by": "批准人",
    "progress": "进展情况",
    "progress_on": "进展日期",
    "evidence": "佐证材料",
    "effect": "整改成效",
    "completed_on": "完成日期",
    "accepted_on": "验收日期",
    "returned_on": "验收未通过的日期",
    "inspector": "验收人",
    "remarks": "验收意见",
    "acceptance_remarks": "验收意见",
    "week": "周次",
    "operator": "操作员",
    "name": "姓名",
    "role": "角色",
    "signer": "签字人",
    "households": "排查户数",
    "problems_found": "发现问题数",
    "screened_on": "排查日期",
    "status": "状态",
    "planned": "已制定整改",
    "extensions": "延期次数",
    "latest_progress": "最新进展",
    "first_step_on": "首次整改日期",
    "progress_count": "进展次数",
    "returned_count": "退回次数",
    "withdrawn_reason": "作废原因",
    "recorded_at": "录入时间",
    "cutoff": "报送截止",
    "exported_at": "数据包导出时间",
    "old_deadline": "原完成时限",
    "new_deadline": "新完成时限",
    "undone_version": "撤销第几步",
    "undone_kind": "撤销的事项",
    "restored": "恢复为",
    "planned_on": "制定整改日期",
    "extended_on": "延期日期",
    "new_check_item": "新类型序号",
}

# The same names as the finding screen's; the command line must not load Textual.
EVENT_NAMES = {
    "Recorded": "登记问题",
    "RectificationPlanned": "制定整改",
    "DeadlineExtended": "延期",
    "ProgressReported": "报告进展",
    "RectificationCompleted": "完成整改",
    # At most five characters: the history's 事项 column is ten cells wide.
    "AcceptancePassed": "验收通过",
    "AcceptanceFailed": "验收未通过",
    "FieldCorrected": "更正",
    "Withdrawn": "作废",
    "ChangeUndone": "撤销",
    # The journal's events of no finding, named with their aggregate.
    "UnitLedger.Opened": "单位建档",
    "UnitLedger.WeekSubmitted": "报送周台账",
    "UnitLedger.ItemScreened": "排查登记",
    "UnitLedger.ScreeningUndone": "撤销排查",
    "UnitLedger.FinalLedgerSealed": "封存终版",
    "StaffMember.Registered": "登记操作员",
    "StaffMember.Assigned": "变更操作员",
    "StaffMember.Retired": "停用操作员",
    "SpotCheck.SampleDrawn": "抽取样本",
    "BundleImport.Imported": "导入数据包",
    "ImportedFile.Imported": "导入台账",
}


def field_name(field: str) -> str:
    """Return the Chinese name of a field, or the field itself when unknown."""
    return FIELD_NAMES.get(field, field)


# The exporter names its I/O problem in English; these are the ones it knows.
EXPORT_PROBLEMS = {
    "the folder does not exist": "文件夹不存在",
    "no new file can be made in that folder": "该文件夹中不能新建文件",
    "part of the folder path is not a folder": "路径中有一段不是文件夹",
    "no permission to write in that folder": "没有写入该文件夹的权限",
    "the disk is read-only": "磁盘为只读",
    "the disk is full": "磁盘已满",
    "the destination is a folder": "目标是一个文件夹",
    "the file name is too long": "文件名太长",
    "the file name must end in .xlsx": "文件名须以 .xlsx 结尾",
    "the file name must end in .md": "文件名须以 .md 结尾",
    "the file name holds a NUL character": "文件名中含有空字符（NUL）",
}


def _day(value: Any) -> str:
    return format_day(value) if value is not None else "（空）"


def handed_in_text(handed_in: Mapping[int, date]) -> str:
    """List the weeks a unit handed in, each with the day it came in."""
    return "、".join(f"第{w}周（{format_day(d)}报送）" for w, d in handed_in.items()) or "—"


def late_note(late: Sequence[LateEntry]) -> str:
    """Warn, on handing a week in, of what was recorded for it after its cut-off."""
    return _late_words(*late_counts(late), "不在本次报送的台账中；可在“周报”中查看。")


def _late_words(findings: int, steps: int, then: str) -> str:
    parts = [f"{findings} 个问题"] if findings else []
    if steps:
        parts.append(f"{steps} 处进展")
    if not parts:
        return ""
    return f"注意：该周另有 {'、'.join(parts)}在截止后才录入（迟报/漏报），{then}"


def change_value(value: Any) -> str:
    """Show one side of a changed field: a day in words, nothing as （空）."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, date):
        return format_day(value)
    return str(value)


# How many characters of a typed value a message quotes before cutting it short;
# a file path keeps more, since its end names the file.
QUOTE_LIMIT = 40
PATH_LIMIT = 240


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """Show a typed value inside a message: hidden characters named, long text cut.

    A control character or a direction override quoted raw could restyle the
    operator's terminal or reorder the message; each shows as [U+XXXX].
    """
    text = str(value)
    shown = []
    for char in text[:limit]:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp") or char in "\ufffe\uffff":
            shown.append(f"[U+{ord(char):04X}]")
        else:
            shown.append(char)
    if len(text) > limit:
        shown.append(f"…（共 {len(text)} 个字符）")
    return "".join(shown)


def character_kind(codepoint: int) -> str:
    """Name the kind of a refused character for the operator."""
    char = chr(codepoint)
    if 0xD800 <= codepoint <= 0xDFFF:
        return "无法识别的字符（可能是文件编码不对）"
    if char == "\t":
        return "制表符"
    if char in "\n\r":
        return "换行符（此处只能写一行）"
    if unicodedata.category(char) == "Cc":
        return "不可见的控制字符"
    if codepoint in (0xFFFE, 0xFFFF):
        return "表格无法保存的字符"
    if codepoint in range(0x202A, 0x202F) or codepoint in range(0x2066, 0x206A):
        return "改变文字显示方向的控制字符"
    return "看不见的字符（如零宽空格）"


def _seal_leaves_work(x: e.SealLeavesWorkError) -> str:
    left = []
    if x.pending or x.in_progress:
        counts = "、".join(
            f"{label} {n}"
            for label, n in ((Status.PENDING, x.pending), (Status.IN_PROGRESS, x.in_progress))
            if n
        )
        left.append(f"还有 {x.pending + x.in_progress} 个问题未完成整改（{counts}）")
    if x.missing_weeks:
        left.append(f"第{'、'.join(str(w) for w in x.missing_weeks)}周台账未报送")
    locked = []
    if x.pending or x.in_progress:
        locked.append(
            f"这 {x.pending + x.in_progress} 个问题不能再记录整改进展或完成，"
            "只能记录验收结果（验收未通过退回的可再整改）"
        )
    if x.missing_weeks:
        locked.append("各周台账也不能再报送" if locked else "各周台账不能再报送")
    return f"{x.unit}{'，'.join(left)}；封存后{'，'.join(locked)}。"


def _differences_text(differences: Sequence[tuple[str, Any, Any]]) -> str:
    """Say where a sheet's row differs from the finding it repeats."""
    if not differences:
        return ""
    parts = [
        f"{field_name(field)} 表中 {_cell_shown(given)}，台账 {_cell_shown(held)}"
        for field, given, held in differences
    ]
    return "表中与台账不同：" + "；".join(parts) + "（未记录）。"


def _cell_shown(value: Any) -> str:
    if value is None or value == "":
        return "未填"
    if isinstance(value, date):
        return format_day(value)
    return f"“{quoted(value)}”"


def _day_problem(x: DayParseError) -> str:
    if x.reason == "no such month":
        return f"“{quoted(x.text)}”不是有效日期：月份应为 1 到 12，请核对。"
    if x.reason == "no such day":
        return f"“{quoted(x.text)}”不是有效日期：该月没有这一天，请核对。"
    if x.reason == "no such time of day":
        return f"“{quoted(x.text)}”不是有效时刻：时刻应为 00:00 到 23:59，请核对。"
    if x.reason == "not a time of day":
        return (
            f"“{quoted(x.text)}”不是有效时刻，请写成 2022-06-10 18:00"
            "（按北京时间），或只写日期。"
        )
    if x.reason == "out of range":
        return f"“{quoted(x.text)}”不是有效日期：超出可处理的范围，请核对年份。"
    return (
        f"“{quoted(x.text)}”不是有效日期，请写成 2022-06-20、2022/6/20、6月20日 等形式。"
    )


BUNDLE_PARTS = {
    "not_json": "不是 JSON 文本",
    "not_a_bundle": "缺少数据包标记",
    "version": "数据包版本不受支持",
    "fields": "缺少必要字段",
    "positions": "记录顺序有误",
    "row": "记录内容有误",
    "event": "含有无法识别的记录",
    "versions": "问题的办理步骤不连续",
}


def cut_middle(text: str, width: int) -> str:
    """Shorten text to `width` cells by its middle: unit names that share a long
    beginning (市巩固拓展脱贫攻坚成果…) stay told apart by their ends."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    head, tail = "", ""
    chars = list(text)
    while chars and cell_len(head + chars[0]) <= width // 3:
        head += chars.pop(0)
    while chars and cell_len(head + "…" + chars[-1] + tail) <= width:
        tail = chars.pop() + tail
    return head + "…" + tail


# Marks a line does not begin with, and marks it does not end with, as
# Chinese is set; and what a number or Latin word is made of.
_NOT_FIRST = frozenset("，。、；：？！）》」』】”’…%,.;:?!)")
_NOT_LAST = frozenset("（《「『【“‘(")
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:/%-]*|.", re.DOTALL)


def fold_lines(text: str, width: int) -> list[str]:
    """Break text into lines of at most `width` cells, as Chinese is set.

    No line begins with a closing mark (，。；）…) or ends with an opening
    one, and a number or Latin word stays whole unless it is wider than a
    line. Line breaks in the text are kept.
    """
    from rich.cells import cell_len

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0
        for token in _TOKEN.findall(paragraph):
            size = cell_len(token)
            if used + size <= width:
                line.append(token)
                used += size
                continue
            carried: list[str] = []
            # Carry the line's last tokens along rather than begin the next
            # line with a closing mark, or end this one with an opening one.
            while len(line) > 1 and (
                (token[0] in _NOT_FIRST and not carried) or line[-1][-1] in _NOT_LAST
            ):
                if cell_len("".join([line[-1], *carried, token])) > width:
                    break
                carried.insert(0, line.pop())
            if line:
                lines.append("".join(line))
            line, used = carried, cell_len("".join(carried))
            while size > width:  # wider than any line: cut where it must be
                piece = ""
                for char in token:
                    if piece and cell_len(piece + char) > width:
                        break
                    piece += char
                lines.append(piece)
                token, size = token[len(piece) :], cell_len(token[len(piece) :])
            line.append(token)
            used += size
        lines.append("".join(line))
    return lines


def one_line(text: str) -> str:
    """Text for a one-line cell: its line breaks (and tabs) as single spaces."""
    return " ".join(text.split())


def cut_cell(text: str, width: int, style: str = "") -> Any:
    """A table cell's text no wider than `width` cells, ending in … when cut
    (a rich Text: a cut left to the table would fill its column to the edge)."""
    from rich.text import Text

    cut = Text(text, style=style, no_wrap=True)
    cut.truncate(width, overflow="ellipsis")
    return cut


def export_name(
    unit: str, week: int | None, *, masked: bool = False, known: bool = False
) -> str:
    """Name an official sheet's file after its unit, its week (or 当前) and its kind."""
    when = f"第{week}周" if week else "当前"
    basis = "（现在所知）" if known else ""
    return f"整改台账-{unit}-{when}{basis}{'-脱敏' if masked else ''}.xlsx"


def entered_late(week: int, count: int, how: str) -> str:
    """Say that a week's sheet, as reported at its cut-off, leaves out late
    entries, and `how` to have them."""
    return (
        f"第 {week} 周的台账按该周截止时已录入的记录生成；另有 {count} 个问题"
        f"发现于该周或之前、截止之后才录入，不在表中（{how}）。"
    )


def entered_late_then(count: int, how: str) -> str:
    """Say that the ledger as it stood at a moment leaves out findings found by
    that day but entered later, and `how` to see them."""
    return f"另有 {count} 个问题发现于当天或之前、之后才录入，不在其中（{how}）。"


# What a cancel of long work left behind.
CANCELLED = {
    "catch_up": "已取消整理台账视图。已整理的部分已保存，下次打开时从中断处接着整理。",
    "export": "已取消导出，没有留下文件。",
    "import": "已取消导入，没有写入任何记录。",
}


_EXPLAIN: dict[type[Exception], Callable[[Any], str]] = {
    e.FindingNotFoundError: lambda x: (
        f"找不到问题 {quoted(x.finding_id)}，请检查编号（问题只会作废，不会被删除）。"
    ),
    e.FindingNumberError: lambda x: (
        f"问题编号“{quoted(x.given)}”对应 {x.fits} 个问题，请多写几位。"
        if x.fits
        else f"问题编号至少写前 {x.shortest} 位（问题页标题中的“编号”）。"
    ),
    e.FindingWithdrawnError: lambda x: "该问题已作废，不能再办理任何整改步骤。",
    e.FindingClosedError: lambda x: "该问题已验收销号，不能再修改。",
    e.NotPlannedError: lambda x: "该问题还没有制定整改措施和完成时限，请先“制定整改”。",
    e.AlreadyPlannedError: lambda x: "该问题已制定整改计划；如需改动，请用“延期”或“更正”。",
    e.WrongStatusError: lambda x: f"该问题当前状态为“{x.status}”，此操作需要状态为“{x.needed}”。",
    e.DeadlineBeforeFoundError: lambda x: (
        f"完成时限 {_day(x.deadline)} 早于发现日期 {_day(x.found_on)}。"
    ),
    e.DeadlineNotLaterError: lambda x: (
        f"新的完成时限 {_day(x.deadline)} 必须晚于原时限 {_day(x.current)}。"
    ),
    e.CheckItemNeededError: lambda x: (
        "更正问题类型时，请在“新类型序号”中写明该问题属于新类型的第几项排查内容："
        + "；".join(f"{n}.{item}" for n, item in enumerate(x.items, 1))
        + "。"
    ),
    e.DateTooEarlyError: lambda x: (
        f"“{field_name(x.field)}” {_day(x.day)} 早于{field_name(x.than)} {_day(x.earliest)}，请核对"
        + ("；若是发现日期不对，可先更正发现日期。" if x.than == "found_on" else "。")
    ),
    e.FoundAfterStepError: lambda x: (
        f"发现日期 {_day(x.found_on)} 晚于已记录的整改步骤日期 {_day(x.step_on)}，不能这样更正。"
    ),
    e.NotReportingUnitError: lambda x: (
        f"{x.unit}接收各单位报送的台账，不登记本单位的问题；请选择问题所在的乡镇或部门。"
        if x.act == "record"
        else f"{x.unit}接收各单位的周报，本身不需报送周台账；请选择要报送的乡镇或部门。"
    ),
    e.MomentInFutureError: lambda x: (
        f"{moment_words(x.moment)}还没有到（现在是 {format_day(x.now.date())} {x.now:%H:%M}），"
        "回溯只能查看已经过去的时刻。"
    ),
    e.DateInFutureError: lambda x: (
        f"“{field_name(x.field)}” {_day(x.day)} 晚于今天（{_day(x.today)}），这一天还没有到，不能填写。"
    ),
    e.DateOutsideCampaignError: lambda x: (
        f"{field_name(x.field)} {_day(x.day)} 不在本次工作的时间范围内"
        f"（应在 {_day(x.first)} 至 {_day(x.last)} 之间）。"
    ),
    e.EmptyTextError: lambda x: f"“{field_name(x.field)}”不能为空。",
    e.ForbiddenCharacterError: lambda x: (
        f"“{field_name(x.field)}”第{x.position}个字符是{character_kind(x.codepoint)}"
        f"（U+{x.codepoint:04X}），无法保存，请删除后再试。"
    ),
    e.TextTooLongError: lambda x: (
        f"“{field_name(x.field)}”有 {x.length} 个字，"
        + (f"超过表格单元格上限 {x.limit} 字" if x.limit == CELL_LIMIT else f"最多 {x.limit} 字")
        + "（表情等特殊字符按 2 个字计）。"
    ),
    e.UnknownValueError: lambda x: (
        f"“{field_name(x.field)}”未填写。"
        if not x.value
        else f"“{field_name(x.field)}”的值“{quoted(x.value)}”不在本次工作的定义中。"
        + (f"可填：{'、'.join(x.choices)}。" if x.choices else "")
    ),
    e.CountError: lambda x: (
        f"“{field_name(x.field)}”应填 0 或正整数，不能是“{quoted(x.value)}”"
        f"（最多 {e.MAX_COUNT}）。"
    ),
    e.UncorrectableFieldError: lambda x: f"“{field_name(x.field)}”不能直接更正。",
    e.NothingChangedError: lambda x: f"“{field_name(x.field)}”的新值与原值相同，无需更正。",
    e.ConcurrentChangeError: lambda x: "该问题刚被其他人修改过，已重新载入，请核对后再操作。",
    e.PositionOutsideLogError: lambda x: (
        f"记录中没有第 {x.position} 条（目前共 {x.head} 条），无法给出该位置的指纹。"
    ),
    e.EventLogDamagedError: lambda x: (
        f"记录库已在软件之外被改动（第 {x.position} 条位置已被占用），"
        "为保留证据已停止写入，请先运行核验。"
    ),
    e.LogShortenedError: lambda x: shortened_text(x.followed, x.head),
    e.UnreadableEventError: lambda x: (
        (f"第 {x.position} 条记录无法读取" if x.position else "有一条记录无法读取")
        + f"（问题 {x.finding_id[:8]}，第 {x.version} 步），可能已在本软件之外被改动；"
        "台账只显示此前的记录。请运行 taizhang verify（或在审计界面按 v）核验，"
        "并从备份恢复数据文件。"
    ),
    e.NothingToUndoError: lambda x: (
        "最近一步已是撤销，不能再撤销。"
        if x.kind == "ChangeUndone"
        else "该问题只有登记记录，没有可撤销的步骤；如属重复或误录，请用“作废”。"
    ),
    e.NotYourChangeError: lambda x: (
        f"该问题最近一步是 {x.recorded_by}（{x.recorded_unit}）记录的，你现在是"
        f" {x.operator}（{x.unit}）；只有记录人本人以同一单位可以撤销，请核对 --unit。"
        if x.recorded_by == x.operator and x.unit != x.recorded_unit
        else f"该问题最近一步是 {x.recorded_by} 记录的，只有记录人本人可以撤销。"
    ),
    e.NoScreeningToUndoError: lambda x: f"{x.unit} 没有可撤销的排查登记。",
    e.NotYourScreeningError: lambda x: (
        f"{x.unit} 最近一次排查登记是 {x.recorded_by}（{x.recorded_unit}）录入的，你现在是"
        f" {x.operator}（{x.operator_unit}）；只有录入人本人以同一单位可以撤销，请核对 --unit。"
        if x.recorded_by == x.operator
        else f"{x.unit} 最近一次排查登记是 {x.recorded_by} 录入的，只有录入人本人可以撤销。"
    ),
    e.SampleSizeError: lambda x: (
        f"每层抽取数须为 1 到 {e.MAX_PER_STRATUM} 之间的整数，不能是“{quoted(x.per_stratum)}”。"
    ),
    e.SeedError: lambda x: (
        f"随机种子须为 0 到 {e.SEED_LIMIT - 1} 之间的整数，不能是“{quoted(x.seed)}”。"
    ),
    e.NothingToSampleError: lambda x: "目前没有待验收的问题，无从抽取样本。",
    e.SampleNotFoundError: lambda x: f"找不到抽样记录 {quoted(x.sample_id)}，请核对编号。",
    ExportError: lambda x: (
        f"{quoted(x.path, PATH_LIMIT)} 已存在（可能已手工改过）：再按 Ctrl+S 替换它，或换个文件名。"
        if x.problem == FILE_EXISTS
        else f"无法写入 {quoted(x.path, PATH_LIMIT)}：{EXPORT_PROBLEMS.get(x.problem, x.problem)}。"
    ),
    e.WeekNotOverError: lambda x: (
        f"第 {x.week} 周到 {_day(x.last_day)} 才结束，结束后才能报送。"
    ),
    e.NotInFinalPhaseError: lambda x: (
        f"终版台账只能在“{x.phase}”阶段（{_day(x.start)} 起）封存。"
    ),
    e.FinalReportTooEarlyError: lambda x: (
        f"终版台账及总结只能在“{x.phase}”阶段（{_day(x.start)} 起）导出。"
    ),
    e.WeekAlreadySubmittedError: lambda x: (
        f"{x.unit} 第 {x.week} 周的台账已于 {_day(x.on)} 由 {x.by} 报送，"
        f"该周截止时的记录此后没有变化（指纹 {x.fingerprint}），无需再次报送。"
        + _late_words(x.late_findings, x.late_steps, "它们不属于该周按时上报的台账，任何报送都不含。")
    ),
    e.AlreadySealedError: lambda x: f"{x.unit} 的终版台账已由 {x.signer} 签字封存，不能再次封存或报送。",
    e.SealLeavesWorkError: lambda x: _seal_leaves_work(x),
    e.UnitSealedError: lambda x: (
        f"{x.unit} 的终版台账已封存：其问题只能记录验收结果，验收未通过的还可延期、报告进展、完成整改；"
        "此后只能登记验收抽查新发现的问题。"
    ),
    e.CampaignMismatchError: lambda x: (
        "数据文件中的记录用到了当前工作定义里没有的"
        + "、".join(
            [f"单位“{u}”" for u in x.units]
            + [f"问题类型“{c}”" for c in x.categories]
            + [f"“{c}”的第 {n} 项排查内容" for c, n in x.items]
        )
        + "；请改用登记这些记录时的工作定义文件（--campaign）。"
    ),
    e.AlreadyImportedError: lambda x: (
        f"此文件已于 {x.at:%Y-%m-%d %H:%M} 由 {x.operator} 导入过"
        f"（当时文件名 {x.previous_name}，{x.findings} 条问题），未重复导入。"
    ),
    # As the app words them: see command_line_refusal for the command line's.
    e.RowsRefusedError: lambda x: rows_refused(x, "或选择只导入无误的行"),
    e.NothingToImportError: lambda x: f"{x.file_name} 中没有可以导入的问题行。",
    e.UnitNotGivenError: lambda x: unit_not_given(x, "请在“导入到单位”中选择要导入到的单位"),
    e.UnitMismatchError: lambda x: (
        f"表中写的单位是“{x.sheet_unit}”，与所选的“{x.chosen}”不同；请核对文件或所选单位。"
    ),
    e.CellErrorValueError: lambda x: (
        f"单元格是公式 {quoted(x.code)}，但文件中没有保存它的计算结果（文件可能由程序生成，"
        "没有在 Excel 或 WPS 中打开保存过）；请在 Excel 或 WPS 中打开、保存后再导入。"
        if x.formula
        else "单元格设成了日期格式，但填的数不是日期（如直接输入了 20220618），"
        "请改成 2022-06-18 这样的日期或文字后再导入。"
        if x.date_format
        else f"单元格是错误值 {quoted(x.code)}（公式出错或引用失效），请在 Excel 或 WPS 中改正后再导入。"
    ),
    e.DuplicateFindingError: lambda x: (
        "与已登记的问题重复（"
        + (f"{x.source_ref}，" if x.source_ref else "")
        + (f"{format_day(x.found_on)}发现，" if x.found_on else "")
        + f"编号 {x.finding_id[:SHORT_ID]}）。"
        + _differences_text(x.differences)
        if x.finding_id
        else f"与第 {x.row} 行的问题表述相同，重复了。"
    ),
    ImportFileError: lambda x: import_file_problem(x),
    e.RoleUnitMismatchError: lambda x: (
        f"{x.unit}接收各单位报送的台账，不记录本单位的问题，其操作员不能是“单位”角色。"
        if x.role == "单位"
        else f"{x.unit}是乡镇（街道），其操作员只能是“单位”角色，不能是“{x.role}”。"
    ),
    e.OperatorNotRegisteredError: lambda x: (
        f"操作员“{x.name}”没有登记，请办公室先用 taizhang operator add 登记。"
    ),
    e.OperatorExistsError: lambda x: (
        f"操作员“{x.name}”已登记（{x.unit}，{role_name(x.role)}）；"
        "要改单位或角色请用 taizhang operator set。"
    ),
    e.OperatorRetiredError: lambda x: f"操作员“{x.name}”已停用。",
    e.OperatorUnitMismatchError: lambda x: (
        f"操作员“{x.name}”登记的单位是{x.registered}，不是{x.given}。"
    ),
    e.StoreRefusedError: lambda x: (
        f"共用数据库 {x.address} 拒绝连接："
        + {
            "no_database": f"服务器上没有名为“{x.detail}”的数据库，请核对地址中的数据库名，"
            "或请管理员先创建它。",
            "no_user": f"服务器上没有用户“{x.detail}”，请核对地址中的用户名。",
            "no_schema": f"数据库中没有名为“{x.detail}”的 schema，请核对地址中的 ?schema=，"
            f"或请管理员先创建它（CREATE SCHEMA {x.detail}，见 README）。",
            "password": f"用户“{x.detail}”的密码不对。",
        }.get(x.problem, f"{x.detail}")
    ),
    e.NotPermittedError: lambda x: (
        f"{x.name}（{x.own_unit}，{role_name(x.role)}）不能{act_text(x.act, x.unit)}。"
    ),
    e.FirstOperatorError: lambda x: (
        "第一位登记的操作员须是办公室角色，由办公室再登记其他操作员；"
        f"不能先登记“{role_name(x.role)}”。"
    ),
    e.LastOfficeError: lambda x: (
        f"{x.name} 是唯一在岗的办公室操作员，停用或改角色后就没有人能管理操作员了；"
        "请先登记另一位办公室操作员。"
    ),
    e.BundleFormatError: lambda x: (
        f"这不是本软件导出的单位数据包，或文件已损坏（{BUNDLE_PARTS.get(x.problem, x.problem)}）。"
    ),
    e.BundleAlteredError: lambda x: (
        "数据包导出后被改动过"
        f"（{'校验链' if x.check == 'chain' else '内容摘要'}不符），拒绝导入；请让该单位重新导出。"
    ),
    e.BundleCampaignError: lambda x: (
        f"数据包来自另一项工作（{x.campaign}），与当前的工作定义不符，未导入。"
    ),
    e.BundleConflictError: lambda x: (
        f"数据包与本库已有的记录冲突：{x.originator_id} 的第 {x.version} 步两边内容不同，"
        "未导入任何记录。或是单位和办公室两处分别办理过这一步，或是单位数据文件中"
        "已导入过的这条记录后来被改写过：请向该单位核实。"
    ),
    e.ReportDayMismatchError: lambda x: (
        f"表中已写明日期 {_day(x.sheet_day)}，与给出的 {_day(x.given)} 不同；"
        "以表中为准时不用另给日期。"
    ),
    e.BundleChainError: lambda x: (
        f"本数据文件的第 {x.position} 条记录{PROBLEM_WORDS.get(x.kind, '与校验链不符')}，"
        "不能导出数据包（否则办公室看不出改动）。请运行 taizhang verify 查看。"
    ),
    e.BundleAcceptanceError: lambda x: (
        "数据包中有验收结果不是调研指导组记录的（"
        + "、".join(f"问题 {number} 由 {who} 记录" for number, who in x.accepted)
        + "），未导入任何记录：验收只能由调研指导组记录。请在单位的数据文件上撤销这些验收"
        "（undo 编号）后重新导出；若记录人确是调研指导组成员，请先在本库登记。"
    ),
    e.BundleSubmissionError: lambda x: (
        f"数据包中第 {x.week} 周报送的指纹 {x.fingerprint} 与包内记录不符："
        "该单位的记录在报送之后被改动过，拒绝导入。"
    ),
    e.StoreAddressError: lambda x: (
        f"数据库地址 {x.address} 无法使用：{store_problem(x.problem, x.detail)}。"
    ),
    DayParseError: _day_problem,
    e.StoreBusyError: lambda x: (
        f"数据文件被其他程序占用，已等待 {x.waited} 秒仍未释放，本次操作没有保存；"
        "请稍后再试（所填内容仍在）。"
    ),
    e.WorkCancelledError: lambda x: CANCELLED.get(x.work, "已取消。"),
    e.StoreKeyError: lambda x: STORE_KEY_PROBLEMS.get(
        x.problem, f"密钥无法使用（{quoted(x.problem)}）。"
    ),
    e.NotAStoreError: lambda x: (
        f"{quoted(x.path, PATH_LIMIT)} 不是台账数据文件"
        f"（{NOT_A_STORE.get(x.problem, quoted(x.problem))}），未作任何改动。"
        "请检查 --store 给的文件名；新建台账请给一个还不存在的文件名。"
    ),
    e.KeyFileError: lambda x: (
        f"密钥文件 {quoted(x.path, PATH_LIMIT)} "
        f"{KEY_FILE_PROBLEMS.get(x.problem, f'无法使用（{quoted(x.problem)}）。')}"
    ),
}


# Long work: what its progress bar says.
CANCELLED_TITLE = "已取消"
PROGRESS_HINT = "按 Esc 或 c 取消，已完成的部分不会留下半截。"
CANCELLING = "正在取消……"
ROWS = "行"
EVENTS = "条记录"


def catching_up() -> str:
    """Title the bar shown while a view far behind the log is brought level."""
    return "正在整理台账视图"


def rebuilding() -> str:
    """Title the bar of a rebuild of the ledger view."""
    return "正在重建台账视图"


def exporting(name: str) -> str:
    """Title the bar of an export into the file `name`."""
    return f"正在导出 {name}"


def reading(name: str) -> str:
    """Title the bar of reading and checking a ledger file before an import."""
    return f"正在读取并检查 {name}"


def checking(name: str) -> str:
    """Title the bar of checking a read ledger file's rows against the ledger."""
    return f"正在与已有台账核对 {name}"


def importing(name: str) -> str:
    """Title the bar of recording a checked ledger file."""
    return f"正在导入 {name}"


def rebuilt(events: int, findings: int) -> str:
    """Say that a rebuild of the ledger view is complete."""
    return f"已重建台账视图：重新推算记录 {events} 条，台账共 {findings} 个问题。"


# A rebuild started in the app: the question before it, and what a cancel did.
REBUILD_TITLE = "重建台账视图"
REBUILT_TITLE = "重建完成"
REBUILD_IN_HISTORY = "历史视图只读，按 t 回到当前后再重建台账视图。"
REBUILD_STOPPED = "已取消重建。台账视图保持原样，记录本身没有改动。"


def rebuild_question(events: int) -> str:
    """Ask whether to rebuild the ledger view from all `events` of the log."""
    return (
        # No spaces around the count: Textual wraps a line at its spaces.
        f"将按全部{events}条记录重新推算台账视图，用于台账显示与记录不一致时"
        "（如数据文件在本软件之外被改动）。记录本身不会改动。\n"
        "记录多时需要一些时间，进行中可按 Esc 取消，取消后台账视图保持原样。"
        "重建期间，同时打开同一台账的其他人暂时不能保存。\n\n"
        "开始重建吗？"
    )


def moment_words(local: datetime) -> str:
    """Say a moment of time travel: 2022年6月10日 18:00, or 2022年6月10日结束时.

    A day typed alone means the midnight after it, which reads as that day's end.
    """
    if local.time() == time():
        return f"{format_day(local.date() - timedelta(days=1))}结束时"
    return f"{format_day(local.date())} {local:%H:%M} 时"


def undo_question(version: int, step: str) -> str:
    """Ask before undoing a finding's latest step."""
    return (
        # No space around the number: a line would break there, leaving 第 4 alone.
        f"撤销本问题第{version}步（{step}），把它改动的内容恢复原样吗？\n"
        "撤销本身也记录在案，只能撤销自己记录的最近一步。"
    )


def progress_count(done: int, total: int, unit: str) -> str:
    """Say how far long work is: 1200 / 5000 行（24%）."""
    percent = 100 * done // total if total else 100
    return f"{done} / {total} {unit}（{percent}%）"


NOT_A_STORE = {
    "not_sqlite": "它不是数据库文件",
    "foreign": "它是其他程序的数据库",
    "folder": "它是一个文件夹",
    "document": "它是一个空的文档文件，看扩展名不是数据文件",
}
STORE_KEY_PROBLEMS = {
    "key_missing": (
        "该数据文件已加密，需要密钥才能打开：请用 --key-file 指定密钥文件，"
        "或设置环境变量 TAIZHANG_KEY。"
    ),
    "key_wrong": "密钥与该数据文件不符（不是创建它时用的密钥），无法打开。",
    "store_plain": (
        "该数据文件未加密，不能用密钥打开；加密请用新的数据文件，"
        "或不带密钥打开原文件。"
    ),
    "key_malformed": "密钥格式不对：应是 taizhang keygen 生成的一行字符。",
}

KEY_FILE_PROBLEMS = {
    "missing": "不存在。",
    "unreadable": "无法读取。",
    "not_a_file": "不是普通文件。",
    "not_private": "其他人也能读取，不安全，已拒绝使用；请执行 chmod 600 后再试。",
    "malformed": "内容不是有效的密钥（应是 taizhang keygen 生成的一行字符）。",
    "exists": "已存在；为免丢失原密钥，不会覆盖，请换一个文件名。",
    "unwritable": "无法创建（请检查文件夹是否存在、是否有写入权限）。",
}



ROLE_NAMES = {
    "单位": "单位操作员",
    "办公室": "领导小组办公室",
    "调研指导组": "调研指导组",
}


def role_name(role: str) -> str:
    """Return how a role is called in a sentence."""
    return ROLE_NAMES.get(role, role)


def act_text(act: str, unit: str) -> str:
    """Say in Chinese what an operator was refused, naming the unit's ledger."""
    of = f"{unit}的" if unit else ""
    return {
        # Who does it, which reads right whether the role or the unit was wrong.
        "record": f"登记{of}问题（问题和排查情况由本单位的单位操作员登记）",
        "change": f"办理{of}问题（整改由本单位的单位操作员办理）",
        "accept": "记录验收结果（验收由调研指导组记录）",
        "sample": "抽取验收样本（由调研指导组抽取）",
        "submit": f"报送{of}台账（由本单位的单位操作员报送）",
        "seal": f"封存{of}终版台账（由本单位的单位操作员封存）",
        "register": "登记或变更操作员（由领导小组办公室管理）",
        "import": "导入单位数据包（由领导小组办公室导入）",
        "undo": "撤销",
    }.get(act, act)


def store_problem(problem: str, detail: str) -> str:
    """Say in Chinese what is wrong with a PostgreSQL store's address."""
    return {
        "bad_address": "应写成 postgresql://用户名@主机:端口/数据库名",
        "no_database": "缺少数据库名，应写成 postgresql://用户名@主机:端口/数据库名",
        "unknown_option": f"不支持选项“{detail}”，只能用 schema 和 connect_timeout",
        "bad_schema": f"schema 名“{detail}”只能由小写字母、数字和下划线组成",
        "bad_timeout": f"connect_timeout 应是整数秒，而不是“{detail}”",
        "other_database": f"不支持“{detail}”数据库，只能用 PostgreSQL（postgresql://…）或本机 SQLite 文件",
    }.get(problem, problem)


def config_problem(error: Any) -> str:
    """Say in Chinese what is wrong with a config file (tui.config.ConfigError)."""
    what = {
        "not_found": "文件不存在",
        "unreadable": "无法读取（需为 UTF-8 编码的 TOML 文件）",
        "not_toml": "不是有效的 TOML 格式",
        "unknown_key": f"不认识的设置“{error.detail}”，目前只能写 db",
        "bad_value": f"设置“{error.detail}”应是一段不为空的文字（加引号）",
    }.get(error.problem, error.problem)
    return f"配置文件 {error.path} 有误：{what}。"


def rows_refused(x: e.RowsRefusedError, only_good: str) -> str:
    """Say that bad rows kept a file out; `only_good` says how to take the rest."""
    return (
        f"共 {x.total} 行中有 {x.bad} 行不能导入，未写入任何内容；"
        f"请按报告修改文件后重新导入，{only_good}。"
    )


def unit_not_given(x: e.UnitNotGivenError, choose: str) -> str:
    """Say that a sheet names no unit; `choose` says how to name one."""
    return f"{x.file_name} 中没有“单位（盖章）：……”一行，{choose}。"


def command_line_refusal(error: Exception) -> str:
    """Say why a command was refused, naming the option that answers it.

    The app's wording names its own controls (the import dialog's fields);
    everything else is worded as `explain` words it.
    """
    if isinstance(error, e.RowsRefusedError):
        return rows_refused(error, "或加 --only-good 只导入无误的行")
    if isinstance(error, e.UnitNotGivenError):
        return unit_not_given(error, "请用 --unit 指定导入到哪个单位")
    return explain(error)


def explain(error: Exception) -> str:
    """Say in Chinese why an operation was refused."""
    if isinstance(error, AskAgain):
        return error.message
    for kind in type(error).__mro__:
        if kind in _EXPLAIN:
            return _EXPLAIN[kind](error)
    if isinstance(error, CampaignError):
        return campaign_problem(error)
    if isinstance(error, (PersistenceError, sqlite3.Error)):
        return "数据文件暂时无法读写（可能正被其他程序占用），请稍后再试；所填内容仍在。"
    return f"操作失败：{quoted(error)}"


def campaign_problem(error: CampaignError) -> str:
    """Say in Chinese what is wrong with a campaign definition file."""
    if error.line is not None:
        what = f"第 {error.line} 行不是有效的 TOML 格式"
    elif not error.field and "not found" in error.problem:
        what = "文件不存在"
    elif not error.field:
        what = "无法读取（需为 UTF-8 编码的 TOML 文件）"
    else:
        what = f"字段 {error.field} 不符合要求（{_campaign_field_problem(error.problem)}）"
    return f"工作定义文件 {error.path} 有误：{what}。"


# pydantic words a field's problem in English; the ones a hand-edited
# campaign file meets, by how they begin. Anything else stays as worded.
CAMPAIGN_FIELD_PROBLEMS = (
    ("Field required", "缺少此项"),
    ("Extra inputs are not permitted", "不认识的字段"),
    ("Input should be a valid integer", "应为整数"),
    ("Input should be a valid string", "应为文字"),
    ("Input should be a valid date", "应为日期，如 2022-06-01"),
    ("Input should be a valid list", "应为列表，如 [\"甲\", \"乙\"]"),
    ("Input should be a valid dictionary", "应为一组字段"),
    ("List should have at least", "至少要有一项"),
    ("String should have at least", "不能为空"),
    ("String should match pattern", "格式不符"),
    ("Input should be greater than or equal to", "数值太小"),
    ("Input should be less than or equal to", "数值太大"),
)


# The campaign's own rules (domain/campaign.py), as they word a problem.
CAMPAIGN_RULE_PROBLEMS = tuple(
    (re.compile(english), chinese)
    for english, chinese in (
        (r"^phase '(.*)' is listed twice$", "阶段“{0}”重复列出"),
        (r"^'(.*)' is listed twice$", "“{0}”重复列出"),
        (r"^phase ends \((.*)\) before it starts \((.*)\)$", "阶段结束日 {0} 早于开始日 {1}"),
        (r"^phase starts \((.*)\) before the previous phase ends \((.*)\)$",
         "阶段开始日 {0} 早于上一阶段的结束日 {1}"),
        (r"^week 1 starts on (.*), outside the campaign \((.*) to (.*)\)$",
         "第 1 周从 {0} 开始，不在工作期间（{1} 至 {2}）内"),
        (r"^'(.*)' already names category (\d+)$", "“{0}”已是另一问题类型（从 0 数起第 {1} 个）所用"),
        (r"^lead unit '(.*)' is not listed in units.departments$",
         "牵头单位“{0}”不在 units.departments 中"),
        (r"^receiving unit '(.*)' is not listed in units.departments$",
         "接收周报的单位“{0}”不在 units.departments 中"),
        (r"^unknown time zone '(.*)'$", "不认识的时区“{0}”"),
        (r"^Input should be ('.*')$", "应为 {0}"),
    )
)  # fmt: skip


def _campaign_field_problem(problem: str) -> str:
    for english, chinese in CAMPAIGN_FIELD_PROBLEMS:
        if problem.startswith(english):
            return chinese
    for pattern, words in CAMPAIGN_RULE_PROBLEMS:
        found = pattern.match(problem)
        if found:
            return words.format(*found.groups()).replace("' or '", "' 或 '")
    return problem


class AskAgain(Exception):
    """A refusal, already worded, that the same save made again overrides."""

    def __init__(self, refusal: Exception | str, again: str) -> None:
        super().__init__(refusal)
        said = refusal if isinstance(refusal, str) else explain(refusal)
        self.message = f"{said}{again}"


def is_refusal(error: Exception) -> bool:
    """Tell whether an error is an expected refusal rather than a fault."""
    return isinstance(
        error,
        (e.LedgerError, DayParseError, CampaignError, ExportError, ImportFileError, AskAgain),
    )


def typed_twice(earlier_on: date, how_to_undo: str) -> str:
    """Point out a screening just recorded with the same figures and day as an
    earlier one: summed all the same, it may have been typed twice."""
    return (
        f"注意：与此前登记的一次（排查日期 {format_day(earlier_on)}）完全相同，已累加；"
        f"如属重复录入，{how_to_undo}撤销。"
    )


def event_name(kind: str) -> str:
    """Return the Chinese name of a finding event, or the kind itself when unknown."""
    return EVENT_NAMES.get(kind, kind)


def show_value(value: Any) -> str:
    """Show a stored value the way a ledger reader writes it."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return format_day(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（无）"
    return str(value)


def field_value(field: str, value: Any, campaign: Campaign) -> str:
    """Show a stored value as the campaign names it (category key -> its label)."""
    if field == "category" and isinstance(value, str):
        try:
            category = campaign.category(value)
        except KeyError:
            return value
        return f"{category.name}（{category.label}）"
    return show_value(value)


def withdrawn_note(states: Iterable[FindingState]) -> str:
    """Say how many of the findings the official form leaves out as withdrawn."""
    withdrawn = sum(1 for s in states if s.status is Status.WITHDRAWN)
    return f"（其中已作废 {withdrawn} 条，不列入台账）" if withdrawn else ""


def restored_text(restored: Mapping[str, Any], campaign: Campaign) -> str:
    """Say which values an undo put back: 状态：待验收；验收日期：（空）."""
    return "；".join(
        f"{field_name(k)}：{field_value(k, v, campaign)}" for k, v in restored.items()
    )


SIGNAL_NAMES = {
    SignalKind.LATE_RECORDED: "迟录（疑似漏报）",
    SignalKind.SPOT_CHECK_FOUND: "抽查发现（疑似漏报）",
    SignalKind.WITHDRAWN_BEFORE_CUTOFF: "截止前作废",
    SignalKind.NATURE_FLIPPED_BEFORE_CUTOFF: "截止前改性质",
    SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE: "临期延期",
    SignalKind.LATE_COMPLETION: "补录完成（疑似倒签）",
    SignalKind.RECORDED_BEFORE_LAST_BUNDLE: "录入时间早于上次数据包（疑似改时间）",
    SignalKind.ACCEPTED_IN_UNIT_BUNDLE: "验收结果随单位数据包报来",
}


def _moment(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{format_day(value.date())} {value:%H:%M}"
    return format_day(value)


def _day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def signal_text(signal: Signal) -> str:
    """Say in one Chinese sentence what a signal shows, naming its dates."""
    when = {name: _moment(value) for name, value in signal.dates}
    recorded = when["recorded_at"]
    recorded_on = _day_of(signal.when("recorded_at"))
    reason = f"；原因：{signal.detail}" if signal.detail else ""
    kind = signal.kind
    if kind is SignalKind.LATE_RECORDED:
        return f"{when['found_on']}发现，应在第 {signal.week} 周报送，{recorded}才录入"
    if kind is SignalKind.SPOT_CHECK_FOUND:
        ref = f"（{signal.detail}）" if signal.detail else ""
        return f"验收抽查时发现{ref}：{when['found_on']}发现，{recorded}录入"
    if kind is SignalKind.DEADLINE_MOVED_BEFORE_OVERDUE:
        passed = recorded_on > _day_of(signal.when("old_deadline"))
        state = "原时限已过" if passed else "临近原时限"
        return (
            f"{recorded}延期（{state}）：{when['old_deadline']} → "
            f"{when['new_deadline']}{reason}"
        )
    if kind is SignalKind.LATE_COMPLETION:
        gap = (recorded_on - _day_of(signal.when("completed_on"))).days
        return f"声称{when['completed_on']}完成，{recorded}才录入，相隔 {gap} 天"
    if kind is SignalKind.ACCEPTED_IN_UNIT_BUNDLE:
        return (
            f"{recorded}在该单位自己的数据文件上记录的验收结果（署名{signal.detail}），"
            "随单位数据包报来：署名无从查证，请与调研指导组核实"
        )
    if kind is SignalKind.RECORDED_BEFORE_LAST_BUNDLE:
        return (
            f"录入时间为{recorded}，但该单位{when['exported_at']}导出的数据包里没有它，"
            "是随之后的数据包才报来的：录入时间可能被改早了"
        )

    left = signal.when("cutoff") - signal.when("recorded_at")
    minutes = int(left.total_seconds() // 60)
    span = f"{minutes} 分钟" if minutes < 60 else f"{minutes // 60} 小时"
    if kind is SignalKind.WITHDRAWN_BEFORE_CUTOFF:
        what = f"作废{reason}"
    else:
        what = f"将问题性质由 {signal.detail}"
    return f"{recorded}{what}，距第 {signal.week} 周报送截止仅 {span}"


PROBLEM_NAMES = {
    ProblemKind.DEADLINE_MISSING: "缺完成时限",
    ProblemKind.DEADLINE_BEFORE_FOUND: "时限早于发现",
    ProblemKind.MEASURES_MISSING: "缺整改措施",
    ProblemKind.COMPLETED_WITHOUT_PROGRESS: "完成无进展",
    ProblemKind.COMPLETED_BEFORE_PROGRESS: "完成早于进展",
    ProblemKind.CAUSE_MISSING: "缺原因分析",
    ProblemKind.UNKNOWN_RESPONSIBLE_UNIT: "责任单位有误",
    ProblemKind.OVERDUE: "已逾期",
}


def problem_text(problem: Problem) -> str:
    """Say in Chinese what is wrong with a ledger row."""
    detail = problem.detail
    return {
        ProblemKind.DEADLINE_MISSING: "未填写完成时限",
        ProblemKind.DEADLINE_BEFORE_FOUND: f"完成时限早于发现日期（{detail}）",
        ProblemKind.MEASURES_MISSING: "未填写整改措施",
        ProblemKind.COMPLETED_WITHOUT_PROGRESS: "已完成整改，但从未报告过进展",
        ProblemKind.COMPLETED_BEFORE_PROGRESS: f"完成日期早于最新进展的日期（{detail}）",
        ProblemKind.CAUSE_MISSING: "未填写产生原因及分析",
        ProblemKind.UNKNOWN_RESPONSIBLE_UNIT: f"责任单位“{detail}”不是本次工作的单位",
        ProblemKind.OVERDUE: f"已过完成时限 {detail}，仍未完成",
    }[problem.kind]


# How `verify` reports the log, fingerprints and files.
PROBLEM_WORDS = {
    "altered": "被改动",
    "removed": "被删除",
    "inserted": "被插入",
    "broken": "的校验链被改动",
}
MATCH_WORDS = {
    "matches": "一致",
    "differs": "不一致",
    "beyond": "超出现有记录范围",
    "malformed": "格式不对",
}
REFUSAL_WORDS = {
    "not_found": "找不到该文件",
    "unreadable": "无法读取（可能已损坏或加密）",
    "not_xlsx": "不是 .xlsx 台账文件",
    "no_fingerprint": "文件中没有记录指纹（不是由本软件导出的）",
    "conflicting": "文件属性中的两处指纹不一致（文件可能被改过）",
}


# What a file is, when it cannot be imported, and what to do about it.
_SAVE_AS = "请用 Excel 或 WPS 打开后“另存为” .xlsx 工作簿，再导入。"
IMPORT_FILE_PROBLEMS = {
    li.EMPTY: "是空文件（0 字节），请重新获取原台账文件。",
    li.TOO_LARGE: "超过 50 MB，不像是一份台账，请确认没有选错文件。",
    li.TEXT: "是纯文本文件（如 .csv），不是 Excel 工作簿；" + _SAVE_AS,
    li.HTML: "是网页（HTML）格式的表格，常见于从业务系统导出的“.xls”；" + _SAVE_AS,
    li.XML: "是 XML 格式的表格（如 Excel 2003 XML）；" + _SAVE_AS,
    li.PDF: "是 PDF 文件，读不出其中的表格；请找到原来的 Excel 或 WPS 台账文件。",
    li.OLD_XLS: "是旧版 Excel 工作簿（.xls，或 WPS 的 .et）；" + _SAVE_AS,
    li.ENCRYPTED: (
        "设有打开密码（已加密），无法读取；请在 Excel 或 WPS 中取消密码后另存为 .xlsx，再导入。"
    ),
    li.OLE: (
        "是旧版 Office 复合文档（旧版 .xls、.doc，或加密的工作簿），不是 .xlsx 工作簿；"
        + _SAVE_AS
    ),
    li.WORD: "是 Word 文档（.docx），不是工作簿；请把表格复制到 Excel 或 WPS 表格中另存为 .xlsx，再导入。",
    li.POWERPOINT: "是 PowerPoint 演示文稿（.pptx），不是工作簿；请找到原台账的 .xlsx 文件。",
    li.XLSB: "是 Excel 二进制工作簿（.xlsb）；" + _SAVE_AS,
    li.ODS: "是 OpenDocument 表格（.ods）；请用 WPS、LibreOffice 或 Excel 另存为 .xlsx，再导入。",
    li.ZIP: "是 zip 压缩包，不是工作簿；请解压后导入其中的 .xlsx 台账文件。",
    li.TRUNCATED: "不完整（可能复制或下载时中断），无法打开；请重新获取原文件。",
    li.DAMAGED: "已损坏，读不出工作簿的内容；请在 Excel 或 WPS 中打开，重新另存为 .xlsx，再导入。",
    li.UNKNOWN: "不是 Excel 工作簿（.xlsx），无法导入。",
}


def view_differs_text(differs: Sequence[str]) -> str:
    """Say that the ledger view no longer agrees with the log it was folded from."""
    named = "、".join(key[:8] for key in differs if key)[:40]
    which = f"（问题 {named} 等）" if named else ""
    return (
        f"台账视图与记录不一致：{len(differs)} 处显示数据在本软件之外被改动{which}。"
        "屏幕和导出读的是视图，请在台账页按 r（或运行 taizhang rebuild）"
        "按记录重建后再导出。"
    )


def shortened_text(followed: int, head: int) -> str:
    """Say that the log ends before where the ledger view had followed it."""
    return (
        f"台账视图已读到第 {followed} 条记录，记录现在只有 {head} 条：末尾的记录在本软件之外"
        "被删除过，此后新记的也不会显示。请从备份恢复数据文件；确认现有记录无误后，"
        "运行 taizhang rebuild（或在台账页按 r）按现有记录重建台账视图。"
    )


def unreadable_text(head: int, unreadable: tuple[int | None, str, int]) -> str:
    """Say that the chain agrees with an event that no longer decodes."""
    position, finding_id, version = unreadable
    return (
        f"校验链与 {head} 条记录逐条一致，但第 {position or '?'} 条记录无法读取"
        f"（问题 {finding_id[:SHORT_ID]}，第 {version} 步）：它在本软件之外被改动过，"
        "校验链也随之重算过；原来的内容只有此前交出的指纹能证明，请从备份恢复数据文件。"
    )


def origin_text(started_at: str, adopted: int) -> str:
    """Say that the chain began after events it now covers, and what that means."""
    began = started_at[:19].replace("T", " ")
    return (
        f"注意：校验链建立于 {began}（UTC），当时已有的 {adopted} 条记录是那时才纳入的："
        "它们在纳入之前是否被改动过，校验链不能证明，须对照此前交出的指纹"
        "（周报送、数据包、台账页脚的指纹）核对。"
    )


def import_file_problem(error: ImportFileError) -> str:
    """Say in Chinese what a file that cannot be imported is, and what to do."""
    name = error.path.name or str(error.path)
    names = "、".join(f"“{n}”" for n in error.detail)
    if error.problem == li.NOT_FOUND:
        return f"找不到文件 {error.path}，请检查路径。"
    if error.problem == li.UNREADABLE:
        return f"无法读取 {error.path}（没有读取权限，或它是一个文件夹）。"
    if error.problem == li.NO_SUCH_SHEET:
        wanted, *present = error.detail
        present_names = "、".join(f"“{n}”" for n in present)
        return f"{name} 中没有所指定的工作表“{wanted}”；现有的工作表是 {present_names}。"
    if error.problem == li.NO_HEADER:
        return (
            f"{name} 的工作表 {names} 中找不到台账的表头行"
            "（序号、问题类型、问题性质、问题表述、整改措施、完成时限、责任单位）；"
            "请确认选对了文件或工作表。"
        )
    if error.problem == li.BAD_REPORT_DAY:
        cell, text, reason = error.detail
        return f"{name} 的表头日期（{cell} 单元格）" + _day_problem(DayParseError(text, reason))
    if error.problem == li.MISSING_COLUMNS:
        return (
            f"{name} 的表头缺少 {names} 列；正式台账须有问题类型、问题性质、"
            "问题表述、整改措施、完成时限、责任单位各列。"
        )
    return f"{name} " + IMPORT_FILE_PROBLEMS.get(error.problem, IMPORT_FILE_PROBLEMS[li.UNKNOWN])


def import_summary(result: ImportResult) -> str:
    """Say in one line what a checked (or imported) sheet holds."""
    sheet = result.sheet
    day = format_day(sheet.report_day) if sheet.report_day else "无"
    return (
        f"{sheet.file_name}（工作表“{sheet.sheet_name}”）：导入到 {result.unit}，"
        f"表头日期 {day}；读到 {len(result.rows)} 行，可以导入 {len(result.good)} 行，"
        + (f"已登记过 {len(result.recorded)} 行（跳过），" if result.recorded else "")
        + f"不能导入 {len(result.refused)} 行。"
    )


def import_column(result: ImportResult, problem: RowProblem) -> str:
    """Name the column a row problem is in: F列 完成时限."""
    column = result.sheet.column(problem.field) if problem.field else None
    if column is not None:
        return f"{column.letter}列 {column.header}"
    if problem.field == "found_on":
        return "发现日期（推算）"
    if problem.field == "remarks":
        return "表外各列（备注）"
    return field_name(problem.field) if problem.field else "整行"


def import_reason(problem: RowProblem) -> str:
    """Say in Chinese why a row cannot come in."""
    error = problem.error
    # FIELD_NAMES names "remarks" for acceptance (验收意见); a sheet's remarks
    # are the cells beyond the official columns.
    if problem.field == "remarks" and isinstance(error, e.TextTooLongError):
        return f"表外各列合起来有 {error.length} 个字，超过单元格上限 {error.limit} 字。"
    return explain(error)


def import_problems(result: ImportResult) -> list[tuple[str, str, str]]:
    """List (row, column, reason) for every problem, in sheet order."""
    return [
        (str(p.row), import_column(result, p), import_reason(p))
        for p in result.problems
    ]


# How many rows a note lists by number before it says how many there are.
CHANGED_ROWS_SHOWN = 10


def import_notes(result: ImportResult) -> list[str]:
    """Say what the import assumed or passed over, so nothing goes unseen."""
    sheet = result.sheet
    notes = []
    if result.defaulted_items:
        notes.append(
            f"{result.defaulted_items} 条问题没有写“排查内容”（正式台账没有这一列），"
            "记为该问题类型的第 1 项，导入后可在问题页用“更正”改正。"
        )
    if sheet.column("found_on") is None:
        if sheet.report_day is not None:
            taken = f"取表头日期（{format_day(sheet.report_day)}）"
        else:
            day = f"，即{format_day(result.as_of)}" if result.as_of else ""
            taken = f"表中没有表头日期，取今天（本次工作已结束的，取其最后一天）{day}"
        notes.append(
            f"台账没有“发现日期”：{taken}，完成时限更早的取完成时限，"
            "同一问题类型中排在前面的不晚于后面的。"
        )
    extra = [c.header or f"{c.letter}列" for c in sheet.columns if not c.field and c.header]
    if extra:
        notes.append(f"表外各列（{'、'.join(extra)}）作为备注保存在问题中。")
    changed = [
        p.row
        for p in result.problems
        if isinstance(p.error, e.DuplicateFindingError) and p.error.differences
    ]
    if changed:
        rows = "、".join(str(n) for n in changed[:CHANGED_ROWS_SHOWN])
        more = f" 等 {len(changed)} " if len(changed) > CHANGED_ROWS_SHOWN else " "
        notes.append(
            f"第 {rows}{more}行与已登记的问题重复，但内容与台账不同（见上表）；"
            "这些改动没有记录到台账，台账仍是原样。要记录，请在台账界面打开该问题："
            "完成时限推迟按 d 延期（写明原因），其他各项按 k 更正（写明原因）。"
        )
    for number, text in sheet.skipped:
        notes.append(f"第 {number} 行不是问题行，未导入：{text}")
    return notes


def import_done(result: ImportResult) -> str:
    """Say what an import wrote."""
    skipped = f"，已登记过的 {len(result.recorded)} 行跳过" if result.recorded else ""
    left = f"{skipped}，未导入 {len(result.refused)} 行" if result.refused else skipped
    return (
        f"已导入 {len(result.good)} 条问题到 {result.unit}（来源：导入，"
        f"文件 {result.sheet.file_name}）{left}。"
    )
