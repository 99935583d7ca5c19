"""The taizhang Textual application: screens, keys, live refresh and exports."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from domain.ledger import Ledger, Operator
from exporters.official import check_destination, write_official_sheet
from exporters.week_report import with_differences
from tui.finding_screen import FindingScreen
from tui.form import Field, FormModal, choices
from tui.help_screen import HelpScreen
from tui.ledger_screen import LedgerScreen
from tui.wording import FIELD_NAMES, explain, is_refusal, role_name

log = logging.getLogger(__name__)

# Seconds between looks at the event log for other operators' changes.
# Limitation: PostgreSQL could push new events (LISTEN/NOTIFY, as the
# library's ProjectionRunner does) instead; the poll keeps one mechanism for
# both stores and still shows a change within two seconds.
POLL_SECONDS = 1.0
# How long a first Ctrl+Q over an unsaved form waits for the second one.
QUIT_CONFIRM_SECONDS = 5.0


def export_name(unit: str, week: int | None) -> str:
    return f"整改台账-{unit}-{'第%d周' % week if week else '当前'}.xlsx"


def free_path(path: Path) -> Path:
    """Return path, or path with a number added when a file of that name exists."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}({n}){path.suffix}")
        n += 1
    return candidate


class TaizhangApp(App[None]):
    """Keep a campaign's rectification ledger from the keyboard."""

    CSS_PATH = "taizhang.tcss"
    TITLE = "台账 taizhang"
    BINDINGS = [
        Binding("f1", "help", "帮助", id="app.help"),
        Binding("question_mark", "help", "帮助", show=False, id="app.help-alt"),
        Binding("ctrl+q", "quit", "退出", priority=True, id="app.quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.ctrl-c"),
        Binding(
            "ctrl+p", "command_palette", "命令", show=False, priority=True, id="app.palette"
        ),
    ]

    def __init__(
        self, ledger: Ledger, operator: Operator | None, export_dir: Path | None = None
    ):
        """Open on the ledger as `operator`, or on the start screen to choose one."""
        super().__init__()
        self.ledger = ledger
        self.operator = operator or Operator("", "")
        self.signed_in = operator is not None
        self.export_dir = export_dir or Path.cwd()
        self.seen_head = ledger.head()
        self.quit_asked = 0.0
        self.sub_title = ledger.campaign.name
        if operator is not None:
            self.show_operator()

    def show_operator(self) -> None:
        who = self.operator
        role = f"，{role_name(who.role)}" if who.role else ""
        self.sub_title = f"{self.ledger.campaign.name}　操作员：{who.name}（{who.unit}{role}）"

    async def action_quit(self) -> None:
        """Quit, unless a form holds unsaved text: then ask for a second Ctrl+Q."""
        open_forms = [s for s in self.screen_stack if isinstance(s, FormModal) and s.dirty()]
        now = time.monotonic()
        if open_forms and now - self.quit_asked > QUIT_CONFIRM_SECONDS:
            self.quit_asked = now
            self.notify(
                "表单还有未保存的内容：按 Ctrl+S 保存，或再按一次 Ctrl+Q 放弃并退出。",
                severity="warning",
                timeout=QUIT_CONFIRM_SECONDS,
            )
            return
        self.exit()

    def action_help_quit(self) -> None:
        self.notify("退出请按 Ctrl+Q。", timeout=3)

    def action_command_palette(self) -> None:
        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder="搜索命令……", id="--command-palette"))

    def on_mount(self) -> None:
        if self.signed_in:
            self.push_screen(LedgerScreen(self.ledger))
        else:
            from tui.start_screen import StartScreen

            self.push_screen(StartScreen(self.ledger), self.start_as)
        self.set_interval(POLL_SECONDS, self.poll_log)

    def start_as(self, operator: Operator | None) -> None:
        """Work as the operator chosen on the start screen."""
        if operator is None:
            return
        self.operator = operator
        self.signed_in = True
        self.show_operator()
        self.push_screen(LedgerScreen(self.ledger))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if not self.signed_in:
            yield SystemCommand("帮助", "按键与用法说明", self.action_help)
            yield SystemCommand("退出", "退出台账", self.exit)
            return
        if isinstance(screen, FindingScreen):
            for binding in screen.BINDINGS:
                assert isinstance(binding, Binding)
                if binding.action.startswith("app."):
                    continue
                yield SystemCommand(
                    binding.tooltip or binding.description,
                    f"本问题：{binding.tooltip or binding.description}（按 {binding.key}）",
                    getattr(screen, f"action_{binding.action}"),
                )
            yield SystemCommand("帮助", "按键与用法说明", self.action_help)
            return
        yield SystemCommand("新建问题", "登记一条新发现的问题", self.new_finding)
        yield SystemCommand("导出台账", "导出某单位某周的正式整改台账 .xlsx", self.action_export)
        yield SystemCommand("各周台账", "按时上报与现在所知的对比、迟报漏报、与上周比较", self.action_weeks)
        yield SystemCommand("全部记录（日志）", "按单位、操作员、事项、日期查看每一条记录", self.action_journal)
        yield SystemCommand("审计", "疑点、台账检查、抽查样本、报送情况、完整性核验", self.action_inspect)
        yield SystemCommand("办公室汇总", "各单位问题数、各周报送情况、逾期问题，导出汇总台账", self.action_office)
        yield SystemCommand("校验记录完整性", "重算校验链，核对每条记录和每次报送的指纹", self.action_verify)
        yield SystemCommand("封存终版台账", "总结验收阶段，由主要负责同志签字封存", self.action_seal)
        yield SystemCommand("只看逾期", "在台账中只显示已逾期的问题", self.toggle_overdue)
        yield SystemCommand("清除筛选", "显示全部问题", self.clear_filters)
        yield SystemCommand("帮助", "按键与用法说明", self.action_help)
        yield SystemCommand("退出", "退出台账", self.exit)

    def ledger_screen(self) -> LedgerScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, LedgerScreen):
                return screen
        return None

    def new_finding(self) -> None:
        if screen := self.ledger_screen():
            screen.action_new_finding()

    def toggle_overdue(self) -> None:
        if screen := self.ledger_screen():
            screen.action_toggle_overdue()

    def clear_filters(self) -> None:
        if screen := self.ledger_screen():
            screen.action_clear_filters()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        campaign = self.ledger.campaign
        weeks = [
            (f"第{n}周（{a.month}月{a.day}日—{b.month}月{b.day}日）", str(n))
            for n in campaign.report_weeks
            for a, b in [campaign.week_days(n)]
        ]
        fields = [
            Field("unit", "单位", "select", True, choices(campaign.all_units),
                  value=self.operator.unit),
            Field("week", "周次", "select", options=weeks, placeholder="不选为当前台账"),
            Field("path", "保存到", placeholder=f"不填则保存在 {self.export_dir}"),
        ]

        def submit(values: dict[str, Any]) -> None:
            week = int(values["week"]) if values["week"] else None
            typed = values["path"].strip()
            name = export_name(values["unit"], week)
            path = self.target(Path(typed).expanduser() if typed else None, name)
            self.ledger.official_sheet(values["unit"], week)  # refuse bad input now
            self.export_sheet(values["unit"], week, path)

        self.push_screen(
            FormModal("导出整改台账", fields, submit, year=campaign.year,
                      hint="不选周次则导出当前台账，日期为今天。")
        )

    def target(self, typed: Path | None, name: str) -> Path:
        """Where an export goes: the typed file, or a free name in a folder.

        Refuses (ExportError) a destination that cannot be written, while the
        form is still open, so what was chosen is not lost.
        """
        if typed is None:
            path = free_path(self.export_dir / name)
        elif typed.is_dir():
            path = free_path(typed / name)
        else:
            path = typed
        check_destination(path)
        return path

    def export_week(self, unit: str, week: int, typed: Path | None) -> None:
        """Export a week's sheet with its late reports and changes beside it."""
        path = self.target(typed, f"整改台账-{unit}-第{week}周-含差异.xlsx")
        self.export_sheet(unit, week, path, differences=True)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_sheet(
        self, unit: str, week: int | None, path: Path, differences: bool = False
    ) -> Path:
        """Build and write one unit's sheet off the event loop."""
        self.call_from_thread(self.notify, f"正在导出 {path.name} …", timeout=2)
        problems = self.ledger.check(unit)
        sheet = self.ledger.official_sheet(unit, week)
        if differences and week is not None:
            sheet = with_differences(sheet, self.ledger.week_view(week, unit), FIELD_NAMES)
        written = write_official_sheet(sheet, path)
        self.call_from_thread(
            self.notify, f"已导出 {len(sheet.rows)} 条：{written}", title="导出完成", timeout=8
        )
        if problems:
            self.call_from_thread(
                self.notify,
                f"台账检查发现 {len(problems)} 处验收时可能被指出的问题，按 i 查看“台账检查”。",
                title="导出前检查",
                severity="warning",
                timeout=12,
            )
        return written

    def action_weeks(self) -> None:
        from tui.weeks_screen import WeeksScreen

        screen = self.ledger_screen()
        unit = screen.ledger_query().unit if screen else ""
        self.push_screen(WeeksScreen(self.ledger, unit))

    def action_inspect(self) -> None:
        from tui.inspection_screen import InspectionScreen

        screen = self.ledger_screen()
        unit = screen.ledger_query().unit if screen else ""
        self.push_screen(InspectionScreen(self.ledger, unit))

    def action_office(self) -> None:
        from tui.office_screen import OfficeScreen

        self.push_screen(OfficeScreen(self.ledger))

    def action_verify(self) -> None:
        from tui.inspection_screen import InspectionScreen

        screen = InspectionScreen(self.ledger)
        self.push_screen(screen, callback=None)
        self.call_after_refresh(screen.action_verify)

    def action_seal(self) -> None:
        campaign = self.ledger.campaign
        fields = [
            Field("unit", "单位", "select", True, choices(campaign.all_units),
                  value=self.operator.unit),
            Field("signer", "签字人", required=True, placeholder="单位主要负责同志姓名"),
        ]

        def submit(values: dict[str, Any]) -> None:
            fingerprint = self.ledger.seal(self.operator, values["unit"], values["signer"])
            self.notify(
                f"{values['unit']} 终版台账已封存，指纹 {fingerprint}。此后只能记录验收结果。",
                title="已封存",
                timeout=10,
            )

        self.push_screen(
            FormModal("封存终版台账（总结验收阶段）", fields, submit, year=campaign.year,
                      hint="封存后，该单位的问题只能记录验收结果。封存记录不可撤销。")
        )

    def action_journal(self) -> None:
        from tui.journal_screen import JournalScreen

        self.push_screen(JournalScreen(self.ledger))

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_log(self) -> None:
        """Fold new events into the view and refresh the screens when the log grew.

        The log's head, not what this process folded, tells: another process
        on the same file may have folded the events into the shared view first.
        """
        self.ledger.catch_up()
        head = self.ledger.head()
        if head != self.seen_head:
            self.seen_head = head
            self.call_from_thread(self.refresh_screens)

    def refresh_screens(self) -> None:
        from tui.office_screen import OfficeScreen

        # Only screens that show the live ledger; a form keeps what is typed.
        for screen in self.screen_stack:
            if isinstance(screen, (LedgerScreen, FindingScreen, OfficeScreen)):
                screen.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if not is_refusal(error):
            log.error("background work %s failed", event.worker.name, exc_info=error)
        self.notify(explain(error), title="操作未完成", severity="error", timeout=10)
