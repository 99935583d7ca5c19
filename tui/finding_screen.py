"""One finding: its current values, its whole history, and the steps that can be taken."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from domain.campaign import Campaign
from domain.dates import format_day
from domain.errors import (
    AlreadyPlannedError,
    ConcurrentChangeError,
    FindingClosedError,
    FindingWithdrawnError,
    LedgerError,
    NotPlannedError,
    UnitSealedError,
    WrongStatusError,
)
from domain.finding import Finding
from domain.ledger import HistoryEntry, Ledger
from domain.staff import Act
from domain.state import CORRECTABLE_FIELDS, SHORT_ID, FindingState, Status
from tui.confirm_modal import ConfirmModal
from tui.finding_form import entry_day
from tui.form import Field, FormModal, choices
from tui.wording import (
    EVENT_NAMES,
    explain,
    field_name,
    field_value,
    fold_lines,
    moment_words,
    restored_text,
    role_name,
    show_value,
    undo_question,
)

# The event each step's key records, for what a sealed unit still takes.
STEPS = {
    "plan": Finding.RectificationPlanned.__name__,
    "extend": Finding.DeadlineExtended.__name__,
    "progress": Finding.ProgressReported.__name__,
    "complete": Finding.RectificationCompleted.__name__,
    "accept": Finding.AcceptancePassed.__name__,
    "reject": Finding.AcceptanceFailed.__name__,
    "correct": Finding.FieldCorrected.__name__,
    "withdraw": Finding.Withdrawn.__name__,
}


def describe(entry: HistoryEntry, campaign: Campaign) -> str:
    """Say in one line what an event recorded."""
    d = entry.details
    if entry.kind == "FieldCorrected":
        return (
            f"{field_name(d['field'])}：{field_value(d['field'], d['old'], campaign)} → "
            f"{field_value(d['field'], d['new'], campaign)}（原因：{d['reason']}）"
        )
    if entry.kind == "Recorded":
        ref = f"，{d['source_ref']}" if d.get("source_ref") else ""
        return f"{d['statement']}（来源：{d['source']}{ref}）"
    if entry.kind == "ChangeUndone":
        step = EVENT_NAMES.get(d["undone_kind"], d["undone_kind"])
        return f"撤销第 {d['undone_version']} 步（{step}），恢复为：{restored_text(d['restored'], campaign)}"
    if entry.kind in OTHER_RECORDS:
        return OTHER_RECORDS[entry.kind](d, campaign)
    parts = []
    for key, value in d.items():
        if value in ("", [], None):
            continue
        # A sentence's own full stop would read 。； before the next part.
        shown = field_value(key, value, campaign).rstrip("。；;")
        parts.append(f"{field_name(key)}：{shown}")
    return "；".join(parts)


def _item(d: Mapping[str, Any], campaign: Campaign) -> str:
    label = {c.key: c.label for c in campaign.categories}.get(d["category"], d["category"])
    return f"{label} 第 {d['check_item']} 项"


# What the journal says of the events of no finding, by kind.
OTHER_RECORDS: dict[str, Callable[[Mapping[str, Any], Campaign], str]] = {
    "UnitLedger.Opened": lambda d, c: f"{d['unit']}开始记录报送与封存",
    "UnitLedger.WeekSubmitted": lambda d, c: f"第 {d['week']} 周，指纹 {d['fingerprint']}",
    "UnitLedger.ItemScreened": lambda d, c: (
        f"{_item(d, c)}：排查 {d['households']} 户，发现问题 {d['problems_found']} 个"
    ),
    "UnitLedger.ScreeningUndone": lambda d, c: f"撤销第 {d['undone_version']} 步的排查登记",
    "UnitLedger.FinalLedgerSealed": lambda d, c: (
        f"签字人 {d['signer']}，指纹 {d['fingerprint']}"
    ),
    "StaffMember.Registered": lambda d, c: (
        f"{d['name']}：{d['unit']}，{role_name(d['role'])}"
    ),
    "StaffMember.Assigned": lambda d, c: f"改为 {d['unit']}，{role_name(d['role'])}",
    "StaffMember.Retired": lambda d, c: "停用",
    "SpotCheck.SampleDrawn": lambda d, c: (
        f"每层 {d['per_stratum']} 个，种子 {d['seed']}，抽中 {len(d['finding_ids'])} 个"
    ),
    "BundleImport.Imported": lambda d, c: (
        f"{d['unit']}的数据包（{d['exported_by']}导出），新增 {len(d['added'])} 条记录"
    ),
    "ImportedFile.Imported": lambda d, c: (
        f"{d['file_name']}：{len(d['finding_ids'])} 个问题导入{d['unit']}"
        + (f"，{len(d['left_out'])} 行未导入" if d["left_out"] else "")
    ),
}


def local_time(moment: datetime, ledger: Ledger) -> str:
    return moment.astimezone(ledger.campaign.tz).strftime("%Y-%m-%d %H:%M")


class FindingScreen(Screen[None]):
    """Show one finding and record steps on it; Esc goes back to the ledger."""

    # Reloaded by the app whenever the log grows (`TaizhangApp.refresh_screens`).
    shows_live_ledger = True

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回", id="finding.back"),
        Binding("p", "plan", "计划", tooltip="制定整改", id="finding.plan"),
        Binding("d", "extend", "延期", id="finding.extend"),
        Binding("g", "progress", "进展", tooltip="报告进展", id="finding.progress"),
        Binding("c", "complete", "完成", tooltip="完成整改", id="finding.complete"),
        Binding("a", "accept", "销号", tooltip="验收通过", id="finding.accept"),
        Binding("b", "reject", "退回", tooltip="验收未通过", id="finding.reject"),
        Binding("k", "correct", "更正", id="finding.correct"),
        Binding("w", "withdraw", "作废", id="finding.withdraw"),
        Binding("u", "undo", "撤销", tooltip="撤销自己记录的最近一步", id="finding.undo"),
    ]

    def __init__(
        self, ledger: Ledger, finding_id: str, as_of: datetime | None = None
    ) -> None:
        super().__init__()
        self.ledger = ledger
        self.finding_id = finding_id
        # A moment (UTC) to show the finding as it stood; None shows it now.
        self.as_of = as_of
        self.state: FindingState = self.read_state()

    def read_state(self) -> FindingState:
        return self.ledger.row(self.finding_id, self.as_of)

    def day(self) -> date:
        """The day overdue is judged on: today, or the last day before the shown moment."""
        if self.as_of is None:
            return self.ledger.today()
        local = self.as_of.astimezone(self.ledger.campaign.tz)
        return (local - timedelta(microseconds=1)).date()

    def compose(self) -> ComposeResult:
        yield Header()
        # Long texts can outgrow the half screen it may take: it scrolls
        # (Tab moves the cursor to it) rather than cutting the last rows off.
        with VerticalScroll(id="finding-detail-box"):
            yield Static(id="finding-detail")
        yield DataTable(cursor_type="row", cell_padding=0, id="finding-history")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # The number commands take (undo) and refusals name; the whole id is long.
        self.sub_title = f"编号 {self.finding_id[:SHORT_ID]}"
        if self.as_of is not None:
            local = self.as_of.astimezone(self.ledger.campaign.tz)
            self.sub_title += f"　历史视图（只读）：{moment_words(local)}"
        self.reload()
        self.query_one(DataTable).focus()

    def on_resize(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the finding and its history again from the store."""
        self.state = self.read_state()
        self.query_one("#finding-detail", Static).update(self.detail())
        table = self.query_one(DataTable)
        table.clear(columns=True)
        widths = (("#", 3), ("记录时间", 17), ("业务日期", 11), ("操作员", 9), ("事项", 11))
        for label, width in widths:
            table.add_column(label, width=width)
        rest = max(20, self.size.width - sum(w for _, w in widths) - 2)
        table.add_column("内容", width=rest)
        for entry in self.ledger.history(self.finding_id):
            if self.as_of is not None and entry.recorded_at >= self.as_of:
                continue
            table.add_row(
                f"{entry.version:>2}",
                local_time(entry.recorded_at, self.ledger),
                entry.on.isoformat(),
                entry.operator,
                EVENT_NAMES.get(entry.kind, entry.kind),
                Text("\n".join(fold_lines(describe(entry, self.ledger.campaign), rest))),
                height=None,
            )

    def detail(self) -> Group:
        s = self.state
        category = self.ledger.campaign.category(s.category)
        items = category.items
        item = items[s.check_item - 1] if 1 <= s.check_item <= len(items) else ""
        overdue = "　[bold red]已逾期[/]" if s.is_overdue(self.day()) else ""
        deadline = show_value(s.deadline)
        if s.extensions:
            deadline += f"（延期 {s.extensions} 次）"
        household = "　".join(x for x in (s.village, s.household_head, s.household_kind) if x)

        short = Table.grid(padding=(0, 1), expand=True)
        for style in ("bold", "", "bold", ""):
            short.add_column(style=style, no_wrap=bool(style), ratio=None if style else 1)
        short.add_row("状态", f"{s.status}{overdue}", "填报单位", s.reporting_unit)
        short.add_row("问题类型", f"{category.name}（{category.label}）", "问题性质", s.nature)
        short.add_row("发现日期", format_day(s.found_on), "完成时限", deadline)
        short.add_row(
            "责任单位",
            f"{s.responsible_unit or '—'} {s.responsible_leader}",
            "完成日期",
            show_value(s.completed_on),
        )

        long = Table.grid(padding=(0, 1), expand=True)
        long.add_column(style="bold", no_wrap=True)
        long.add_column(ratio=1, overflow="fold")
        long.add_row("排查内容", f"{s.check_item}.{item}")
        long.add_row("问题表述", s.statement)
        for label, value in (
            ("农户", household),
            ("原因分析", s.cause),
            ("整改措施", s.measures),
            ("最新进展", s.latest_progress),
            # Sent back, the effect claimed is the one that did not pass.
            ("整改成效" if s.completed_on or not s.effect else "退回成效", s.effect),
            ("验收意见", s.acceptance_opinion and f"{s.acceptance_opinion}（{s.inspector}）"),
            ("作废原因", s.withdrawn_reason),
            ("备注", s.remarks),
        ):
            if value:
                long.add_row(label, value)
        return Group(short, long)

    def refuse_early(self, action: str) -> bool:
        """Say at once, before any typing, why a step cannot be taken now."""
        s = self.state
        error: LedgerError | None = None
        act = Act.ACCEPT if action in ("accept", "reject") else Act.CHANGE
        # Progress and completion are the responsible unit's too.
        unit = self.ledger.acting_for(self.by(), s, action in ("progress", "complete"))
        try:
            self.ledger.check_permission(self.by(), act, unit)
        except LedgerError as refusal:
            # The role comes first: whatever the status, this is not theirs to do.
            self.notify(explain(refusal), severity="warning", timeout=8)
            return True
        if s.status is Status.WITHDRAWN:
            error = FindingWithdrawnError(s.finding_id)
        elif s.status is Status.CLOSED:
            error = FindingClosedError(s.finding_id)
        elif action in ("extend", "progress", "complete") and not s.planned:
            error = NotPlannedError(s.finding_id)
        elif action == "plan" and s.planned:
            error = AlreadyPlannedError(s.finding_id)
        elif action in ("accept", "reject") and s.status is not Status.AWAITING_ACCEPTANCE:
            error = WrongStatusError(s.finding_id, s.status, Status.AWAITING_ACCEPTANCE)
        elif (
            action in ("extend", "progress", "complete")
            and s.status is Status.AWAITING_ACCEPTANCE
        ):
            error = WrongStatusError(s.finding_id, s.status, Status.IN_PROGRESS)
        else:
            try:
                self.ledger.check_seal(s, STEPS[action])
            except UnitSealedError as sealed:
                error = sealed
        if error is not None:
            self.notify(explain(error), severity="warning", timeout=6)
        return error is not None

    def step(
        self,
        title: str,
        fields: Sequence[Field],
        command: Callable[[dict[str, Any], int], None],
    ) -> None:
        """Open a form whose saving runs one command against the version shown.

        The version is the one on screen when the form opened, not when it is
        saved: a change another operator made meanwhile (which the live
        refresh may already show behind the form) refuses the save, so no one
        overwrites a change they never saw. After that refusal the finding is
        reloaded and a second Ctrl+S saves against what is now shown.
        """
        if self.as_of is not None:
            self.notify("历史视图只读，回到当前后才能办理。", severity="warning")
            return
        shown = self.state.version

        def submit(values: dict[str, Any]) -> None:
            nonlocal shown
            try:
                command(values, shown)
            except ConcurrentChangeError:
                self.reload()
                shown = self.state.version
                raise

        def done(saved: bool | None) -> None:
            if saved:
                self.reload()
                self.notify(f"已保存：{title}", timeout=3)

        form = FormModal(title, fields, submit, year=self.ledger.campaign.year)
        self.app.push_screen(form, done)

    def by(self) -> Any:
        return self.app.operator  # type: ignore[attr-defined]

    def day_field(self, label: str, refused_as: str) -> Field:
        """The day a step happened: today while the campaign runs, else asked for."""
        day = entry_day(self.ledger)
        return Field("on", label, "date", True, value=day, refused_as=refused_as)

    def action_plan(self) -> None:
        if self.as_of is None and self.refuse_early("plan"):
            return
        campaign = self.ledger.campaign
        lead = campaign.category(self.state.category).lead_units
        self.step(
            "制定整改",
            [
                Field("measures", "整改措施", "area", True),
                Field("deadline", "完成时限", "date", True),
                Field("responsible_unit", "责任单位", "select", True,
                      choices(campaign.responsible_units), value=lead[0]),
                Field("responsible_leader", "责任领导"),
                self.day_field("制定日期", "planned_on"),
            ],
            lambda v, version: self.ledger.plan(self.by(), self.finding_id, version, **v),
        )

    def action_extend(self) -> None:
        if self.as_of is None and self.refuse_early("extend"):
            return
        self.step(
            "延期",
            [
                Field("deadline", "新完成时限", "date", True),
                Field("reason", "延期原因", "area", True),
                Field("approved_by", "批准人", placeholder="批准延期的领导或单位"),
                self.day_field("批准日期", "extended_on"),
            ],
            lambda v, version: self.ledger.extend_deadline(
                self.by(), self.finding_id, version, **v
            ),
        )

    def action_progress(self) -> None:
        if self.as_of is None and self.refuse_early("progress"):
            return
        self.step(
            "报告进展",
            [
                self.day_field("日期", "progress_on"),
                Field("progress", "进展情况", "area", True),
                Field("evidence", "佐证材料", placeholder="文件名或编号，用逗号分隔"),
            ],
            lambda v, version: self.ledger.report_progress(
                self.by(),
                self.finding_id,
                version,
                on=v["on"],
                progress=v["progress"],
                evidence=[e.strip() for e in v["evidence"].replace("，", ",").split(",")],
            ),
        )

    def action_complete(self) -> None:
        if self.as_of is None and self.refuse_early("complete"):
            return
        self.step(
            "完成整改",
            [self.day_field("完成日期", "completed_on"),
             Field("effect", "整改成效", "area", True)],
            lambda v, version: self.ledger.complete(self.by(), self.finding_id, version, **v),
        )

    def action_accept(self) -> None:
        if self.as_of is None and self.refuse_early("accept"):
            return
        self.step(
            "验收通过（销号）",
            [self.day_field("验收日期", "accepted_on"),
             Field("remarks", "验收意见", "area")],
            lambda v, version: self.ledger.pass_acceptance(
                self.by(), self.finding_id, version, **v
            ),
        )

    def action_reject(self) -> None:
        if self.as_of is None and self.refuse_early("reject"):
            return
        self.step(
            "验收未通过，退回整改",
            [self.day_field("验收日期", "accepted_on"),
             Field("remarks", "存在问题", "area", True)],
            lambda v, version: self.ledger.fail_acceptance(
                self.by(), self.finding_id, version, **v
            ),
        )

    def action_correct(self) -> None:
        if self.as_of is None and self.refuse_early("correct"):
            return
        self.step(
            "更正字段",
            [
                Field("field", "更正哪一项", "select", True,
                      [(field_name(f), f) for f in CORRECTABLE_FIELDS]),
                Field("value", "正确的值", "area", True,
                      placeholder="日期写 2022-06-20；排查内容写序号；类型、性质写名称"),
                Field("category_item", "新类型序号",
                      placeholder="仅更正问题类型时填：属于新类型的第几项排查内容",
                      refused_as="new_check_item"),
                Field("reason", "更正原因", "area", True),
            ],
            self.correct,
        )

    def correct(self, values: dict[str, Any], version: int) -> None:
        from domain.dates import parse_day
        from domain.errors import UnknownValueError

        field, value = values["field"], values["value"].strip()
        if field == "found_on":
            value = parse_day(value, year=self.ledger.campaign.year)
        elif field == "check_item":
            # isdigit() also admits ² and ①, which int() cannot read.
            if not value.isdecimal():
                raise UnknownValueError("check_item", value)
            value = int(value)
        item = values["category_item"].strip()
        if field == "category" and item and not item.isdecimal():
            raise UnknownValueError("new_check_item", item)
        self.ledger.correct(
            self.by(), self.finding_id, version, field=field, value=value,
            reason=values["reason"],
            check_item=int(item) if field == "category" and item else None,
        )

    def action_withdraw(self) -> None:
        if self.as_of is None and self.refuse_early("withdraw"):
            return
        self.step(
            "作废（重复或误录）",
            [Field("reason", "作废原因", "area", True)],
            lambda v, version: self.ledger.withdraw(self.by(), self.finding_id, version, **v),
        )

    def action_undo(self) -> None:
        if self.as_of is not None:
            self.notify("历史视图只读，回到当前后才能办理。", severity="warning")
            return
        try:
            version, kind = self.ledger.check_undo(self.by(), self.finding_id)
        except LedgerError as refusal:
            self.notify(explain(refusal), severity="warning", timeout=8)
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.ledger.undo_last(self.by(), self.finding_id, version)
            except LedgerError as refusal:
                self.notify(explain(refusal), severity="warning", timeout=8)
            else:
                self.notify("已撤销最近一步；撤销本身也记录在案。", timeout=5)
            self.reload()

        step = EVENT_NAMES.get(kind, kind)
        self.app.push_screen(ConfirmModal("撤销", undo_question(version, step)), answered)

    def on_screen_resume(self) -> None:
        self.reload()
