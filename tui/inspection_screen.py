"""The audit screen: signals, the ledger check, spot-check samples, submissions, verify."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from domain.ledger import Ledger, Submission
from domain.verify import VerifyReport
from exporters.fingerprint import verify_ledger
from tui.form import Field, FormModal
from tui.live import ReadAgainWhenShown
from tui.wording import (
    MATCH_WORDS,
    PROBLEM_NAMES,
    PROBLEM_WORDS,
    SIGNAL_NAMES,
    handed_in_text,
    one_line,
    origin_text,
    problem_text,
    shortened_text,
    signal_text,
    unreadable_text,
    view_differs_text,
)


def describe_report(report: VerifyReport, submitted: Sequence[Submission] = ()) -> str:
    """Say in Chinese what a verification found; `submitted` are the weeks whose
    fingerprints it checked, in their order."""
    lines = []
    problem = report.problem
    if report.unreadable is not None:
        lines.append(f"[bold red]{unreadable_text(report.head, report.unreadable)}[/]")
    elif problem is None:
        lines.append(f"[green]记录完整[/]：共 {report.head} 条记录，校验链逐条一致。")
    else:
        word = PROBLEM_WORDS.get(str(problem.kind), str(problem.kind))
        lines.append(
            f"[bold red]发现异常[/]：第 {problem.position} 条记录{word}"
            f"（问题 {problem.finding_id or '—'}，第 {problem.version or '—'} 步）；"
            f"共 {len(report.problems)} 处异常。"
        )
    if report.view_differs:
        lines.append(f"[bold red]{view_differs_text(report.view_differs)}[/]")
    for submission, check in zip(submitted, report.fingerprints, strict=True):
        lines.append(
            f"{submission.unit} 第 {submission.week} 周报送的指纹 {check.fingerprint}："
            f"{MATCH_WORDS[check.match]}"
        )
    if report.view_followed:
        lines.append(f"[bold red]{shortened_text(report.view_followed, report.head)}[/]")
    if report.origin is not None and report.origin.adopted:
        lines.append(origin_text(report.origin.started_at, report.origin.adopted))
    return "\n".join(lines)


class InspectionScreen(ReadAgainWhenShown, Screen[None]):
    """What an inspector looks at; Enter on a finding's row opens it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "返回", id="inspect.back"),
        Binding("v", "verify", "核验", tooltip="校验记录完整性", id="inspect.verify"),
        Binding("s", "draw", "抽样", tooltip="抽取验收样本", id="inspect.draw"),
        Binding("r", "redraw", "复核抽样", tooltip="按记录的种子重抽并比对", id="inspect.redraw"),
    ]

    def __init__(self, ledger: Ledger, unit: str = "") -> None:
        super().__init__()
        self.ledger = ledger
        self.unit = unit
        self.finding_rows: dict[str, list[str]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="inspect-tabs"):
            with TabPane("疑点", id="tab-signals"):
                yield DataTable(cursor_type="row", cell_padding=0, id="signals")
            with TabPane("台账检查", id="tab-check"):
                yield DataTable(cursor_type="row", cell_padding=0, id="problems")
            with TabPane("抽查样本", id="tab-samples"):
                yield DataTable(cursor_type="row", cell_padding=0, id="samples")
            with TabPane("报送情况", id="tab-reports"):
                yield DataTable(cursor_type="row", id="reports")
            with TabPane("完整性核验", id="tab-verify"):
                yield Static("按 v 重新计算校验链，核对每条记录和每次报送的指纹。", id="verify-result")
        yield Static("", id="inspect-detail")
        yield Footer(compact=True)

    @on(DataTable.RowHighlighted)
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        texts = self.texts.get(event.data_table.id or "", [])
        row = event.cursor_row
        self.query_one("#inspect-detail", Static).update(
            texts[row] if 0 <= row < len(texts) else ""
        )

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        rest = max(20, self.size.width - 9 - 21 - 2)
        signals = self.query_one("#signals", DataTable)
        signals.clear(columns=True)
        for label, width in (("单位", 9), ("疑点", 21), ("依据 / 问题表述", rest)):
            signals.add_column(label, width=width)
        self.finding_rows["signals"] = []
        self.texts: dict[str, list[str]] = {"signals": [], "problems": []}
        for signal in self.ledger.signals(self.unit):
            self.texts["signals"].append(f"{signal.statement}\n{signal_text(signal)}")
            signals.add_row(
                signal.unit,
                SIGNAL_NAMES[signal.kind],
                # The grounds first: a long statement would push them off the row.
                Text(f"{signal_text(signal)}｜{one_line(signal.statement)}", no_wrap=True,
                     overflow="ellipsis"),
            )
            self.finding_rows["signals"].append(signal.finding_id)

        problems = self.query_one("#problems", DataTable)
        problems.clear(columns=True)
        for label, width in (("单位", 9), ("问题", 21), ("问题表述", rest)):
            problems.add_column(label, width=width)
        self.finding_rows["problems"] = []
        for problem in self.ledger.check(self.unit):
            self.texts["problems"].append(f"{problem.statement}\n{problem_text(problem)}")
            problems.add_row(
                problem.unit,
                PROBLEM_NAMES[problem.kind],
                Text(f"{one_line(problem.statement)}｜{problem_text(problem)}",
                     no_wrap=True, overflow="ellipsis"),
            )
            self.finding_rows["problems"].append(problem.finding_id)

        samples = self.query_one("#samples", DataTable)
        samples.clear(columns=True)
        for label, width in (("抽取时间", 17), ("抽取人", 9), ("种子", 11), ("每层", 5),
                             ("样本", rest)):
            samples.add_column(label, width=width)
        for sample in self.ledger.samples():
            samples.add_row(
                f"{sample.drawn_at.astimezone(self.ledger.campaign.tz):%Y-%m-%d %H:%M}",
                sample.operator,
                str(sample.seed),
                str(sample.per_stratum),
                f"{len(sample.finding_ids)} 个问题",
                key=sample.sample_id,
            )

        reports = self.query_one("#reports", DataTable)
        reports.clear(columns=True)
        # As wide as their text: unit names differ only at their ends, and a
        # unit may owe every week. The table scrolls sideways.
        for label in ("单位", "已报送", "未报送", "终版台账"):
            reports.add_column(label)
        for report in self.ledger.unit_reports():
            missing = "、".join(f"第{w}周" for w in report.missing)
            reports.add_row(
                report.unit,
                handed_in_text(report.handed_in),
                Text(missing or "—", style="bold red" if missing else ""),
                f"{report.sealed_by} 签字封存" if report.sealed_by else "未封存",
            )

    @on(DataTable.RowSelected)
    def open_finding(self, event: DataTable.RowSelected) -> None:
        from tui.finding_screen import FindingScreen

        ids = self.finding_rows.get(event.data_table.id or "", [])
        if 0 <= event.cursor_row < len(ids):
            self.app.push_screen(FindingScreen(self.ledger, ids[event.cursor_row]))

    def action_verify(self) -> None:
        self.query_one(TabbedContent).active = "tab-verify"
        self.query_one("#verify-result", Static).update("正在核验……")
        self.run_verify()

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def run_verify(self) -> None:
        submitted = [s for s in self.ledger.submissions() if s.fingerprint and not s.imported]
        report = verify_ledger(self.ledger, fingerprints=[s.fingerprint for s in submitted])
        self.app.call_from_thread(
            self.query_one("#verify-result", Static).update,
            describe_report(report, submitted),
        )

    def action_draw(self) -> None:
        app: Any = self.app

        def submit(values: dict[str, Any]) -> None:
            from domain.errors import SampleSizeError, SeedError

            text = values["per_stratum"].strip()
            if not text.isdecimal():
                raise SampleSizeError(text)
            typed = values["seed"].strip()
            if typed and not typed.isdecimal():
                raise SeedError(typed)
            seed = int(typed) if typed else None
            sample_id = self.ledger.draw_sample(
                app.operator, per_stratum=int(text), seed=seed
            )
            drawn = self.ledger.sample(sample_id)
            self.notify(
                f"已抽取 {len(drawn.finding_ids)} 个问题，种子 {drawn.seed}，已记录在案。",
                timeout=8,
            )
            self.reload()

        self.app.push_screen(
            FormModal(
                "抽取验收样本（按单位和问题类型分层，在待验收的问题中抽取）",
                [
                    Field("per_stratum", "每层抽取", required=True, value="1"),
                    Field("seed", "随机种子", placeholder="不填则随机生成，并记录在案"),
                ],
                submit,
                year=self.ledger.campaign.year,
            )
        )

    def action_redraw(self) -> None:
        table = self.query_one("#samples", DataTable)
        self.query_one(TabbedContent).active = "tab-samples"
        if table.row_count == 0:
            self.notify("还没有抽样记录。按 s 抽取。", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert key is not None
        again = self.ledger.redraw(key)
        recorded = self.ledger.sample(key).finding_ids
        if list(again) == list(recorded):
            self.notify(f"按记录的种子重抽，结果与当时一致（{len(again)} 个问题）。", timeout=8)
        else:
            self.notify("重抽结果与记录不一致：记录可能被改动。", severity="error", timeout=10)
