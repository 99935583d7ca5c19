"""The taizhang Textual application: screens, keys, live refresh and exports."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from domain.errors import LedgerError, SealLeavesWorkError, WorkCancelledError
from domain.importing import ImportResult, ImportSheet
from domain.ledger import Ledger, Operator
from domain.staff import Role
from exporters.destination import FILE_EXISTS, ExportError, check_destination
from exporters.ledger_import import ImportFileError, read_ledger, sniff
from exporters.masking import mask_sheet
from exporters.week_report import with_differences
from tui.confirm_modal import ConfirmModal
from tui.ledger_screen import LedgerScreen
from tui.progress_modal import ProgressModal
from tui.whole_glyphs import keep_wide_glyphs_whole
from tui.wording import (
    CANCELLED_TITLE,
    EVENTS,
    FIELD_NAMES,
    REBUILD_IN_HISTORY,
    REBUILD_STOPPED,
    REBUILD_TITLE,
    REBUILT_TITLE,
    ROWS,
    AskAgain,
    catching_up,
    checking,
    entered_late,
    explain,
    export_name,
    exporting,
    import_done,
    is_refusal,
    moment_words,
    reading,
    rebuild_question,
    rebuilding,
    rebuilt,
    role_name,
)

log = logging.getLogger(__name__)

# Only the ledger screen is imported with the app: it is what opening shows.
# The other screens, the forms and the workbook writers (openpyxl, about a
# tenth of a second) are imported by the actions that need them.

# Seconds between looks at the event log for other operators' changes.
# Limitation: PostgreSQL could push new events (LISTEN/NOTIFY, as the
# library's ProjectionRunner does) instead; the poll keeps one mechanism for
# both stores and still shows a change within two seconds.
POLL_SECONDS = 1.0
# When, after the ledger shows, to load what the first save needs.
WARM_UP_SECONDS = 1.0
# How long a first Ctrl+Q over an unsaved form waits for the second one.
QUIT_CONFIRM_SECONDS = 5.0
# A view at most this many log positions behind is brought level at once;
# further behind, a progress bar shows while it folds the rest in (about a
# second per few thousand events).
QUIET_CATCH_UP = 1000


def _name_library_keys() -> None:
    """Name Textual's own key that closes an open dropdown, as every other key is.

    The dropdown's class is not exported and its bindings are merged when the
    class is made, so both are reached into; a Textual that moved them only
    leaves the label in English (logged), it does not stop the app.
    """
    try:
        from textual.widgets._select import SelectOverlay

        SelectOverlay.BINDINGS = [Binding("escape", "dismiss", "收起")]
        SelectOverlay._merged_bindings = SelectOverlay._merge_bindings()
    except (ImportError, AttributeError):
        log.warning("could not name the dropdown's Esc key in Chinese", exc_info=True)


_name_library_keys()
keep_wide_glyphs_whole()

# The export dialog's choice between the office's full copy and a masked one.
FULL, MASKED = "full", "masked"
MASK_CHOICES = [
    ("内部使用（完整）", FULL),
    ("对外共享（隐去户主姓名、证件号码）", MASKED),
]
REPORTED, KNOWN = "reported", "known"
BASIS_CHOICES = [
    ("截止时已录入（当时报送的台账）", REPORTED),
    ("现在所知（含截止后补录的）", KNOWN),
]


def free_path(path: Path) -> Path:
    """Return path, or path with a number added when a file of that name exists."""
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}({n}){path.suffix}")
        n += 1
    return candidate


def _is_folder(path: Path) -> bool:
    """Tell whether path is a folder; a name the system cannot look up is not."""
    try:
        return path.is_dir()
    except OSError:
        return False  # check_destination words the problem


class TaizhangApp(App[None]):
    """Keep a campaign's rectification ledger from the keyboard."""

    CSS_PATH = "taizhang.tcss"
    TITLE = "台账"
    BINDINGS = [
        Binding("f1", "help", "帮助", id="app.help"),
        Binding("question_mark", "help", "帮助", show=False, id="app.help-alt"),
        Binding("ctrl+q", "quit", "退出", show=False, priority=True, id="app.quit"),
        Binding("ctrl+c", "help_quit", show=False, system=True, id="app.ctrl-c"),
        Binding(
            "ctrl+p", "command_palette", "命令", show=False, priority=True, id="app.palette"
        ),
    ]

    def __init__(
        self,
        ledger: Ledger,
        operator: Operator | None,
        export_dir: Path | None = None,
        *,
        name: str = "",
    ):
        """Open on the ledger as `operator`, or on the start screen to choose one
        (with nobody registered: the unit `name` works for)."""
        super().__init__()
        self.ledger = ledger
        self.operator = operator or Operator(name, "")
        self.signed_in = operator is not None
        self.export_dir = export_dir or Path.cwd()
        self.seen_head = ledger.head()
        # Set while the ledger view is refolded: the poll would only wait for it.
        self.rebuilding = False
        self.quit_asked = 0.0
        # What was last said of the operator's register entry (retired).
        self._register_said = ""
        # An export dialog, and the files it was told exist (keep_existing).
        self._replacing: tuple[object, set[Path]] = (None, set())
        # Why the app could not open the ledger, for the command line to say.
        self.refusal: BaseException | None = None
        self.sub_title = ledger.campaign.name
        if operator is not None:
            self.show_operator()

    def show_operator(self) -> None:
        who = self.operator
        role = f"，{role_name(who.role)}" if who.role else ""
        # The operator first: at 80 columns the header has no room for both.
        self.sub_title = f"操作员：{who.name}（{who.unit}{role}）　{self.ledger.campaign.name}"

    async def action_quit(self) -> None:
        """Quit, unless a form holds unsaved text: then ask for a second Ctrl+Q."""
        from tui.form import FormModal

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
        if self.ledger.view_checked:
            self.begin()
        else:
            self.level_view()

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def level_view(self) -> None:
        """Bring a ledger opened behind its log level, with a bar if that takes long."""
        behind = self.ledger.behind()
        if behind <= QUIET_CATCH_UP:
            self.ledger.level_view()
        else:
            with ProgressModal.shown(self, catching_up(), EVENTS) as modal:
                self.ledger.level_view(modal.report, modal.cancelled)
        self.seen_head = self.ledger.head()
        self.call_from_thread(self.begin)

    def begin(self) -> None:
        """Show the first screen and start following the log."""
        if self.signed_in:
            self.push_screen(LedgerScreen(self.ledger))
        else:
            from tui.start_screen import StartScreen

            self.push_screen(StartScreen(self.ledger, self.operator.name), self.start_as)
        if self.ledger.damage is not None:
            self.notify(
                explain(self.ledger.damage), title="记录受损", severity="error", timeout=60
            )
        self.set_interval(POLL_SECONDS, self.poll_log)
        # After the first screen is drawn: loading takes the interpreter for
        # a fifth of a second, which the opening should not wait for.
        self.set_timer(WARM_UP_SECONDS, self.warm_up)

    @work(thread=True, group="warm", exit_on_error=False)
    def warm_up(self) -> None:
        """Load the pinyin tables now, so the first save does not wait for them."""
        from domain.search import initials

        initials("台账")
        # Startup's objects, the pinyin dictionaries the largest, live as long
        # as the app: kept out of the cyclic collector's full passes, each of
        # which walked them again (0.08-0.14 s, landing inside a save).
        gc.freeze()

    def start_as(self, operator: Operator | None) -> None:
        """Work as the operator chosen on the start screen."""
        if operator is None:
            return
        self.operator = operator
        self.signed_in = True
        self.show_operator()
        self.push_screen(LedgerScreen(self.ledger))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # While the view is brought level at opening, a command would wait on
        # that catch-up (holding the screen) while the catch-up waits on the
        # screen to draw its bar.
        if not self.signed_in or not self.ledger.view_checked:
            yield SystemCommand("帮助", "按键与用法说明", self.action_help)
            yield SystemCommand("退出", "退出台账", self.exit)
            return
        from tui.finding_screen import FindingScreen

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
        yield SystemCommand("导入台账", "把手工填写的整改台账 .xlsx 逐行检查后导入", self.action_import_ledger)
        yield SystemCommand("各周台账", "按时上报与现在所知的对比、迟报漏报、与上周比较", self.action_weeks)
        yield SystemCommand(
            "统计", "分类、单位、逾期、按时完成率、每周新增与销号", self.action_statistics
        )
        yield SystemCommand(
            "排查覆盖", "各单位各项排查内容的排查情况，登记排查", self.action_coverage
        )
        yield SystemCommand(
            "导出终版台账及总结",
            "总结验收阶段：终版台账附统计、汇总，另写 Markdown 总结",
            self.action_final_export,
        )
        yield SystemCommand("全部记录（日志）", "按单位、操作员、事项、日期查看每一条记录", self.action_journal)
        yield SystemCommand("审计", "疑点、台账检查、抽查样本、报送情况、完整性核验", self.action_inspect)
        yield SystemCommand("办公室汇总", "各单位问题数、各周报送情况、逾期问题，导出汇总台账", self.action_office)
        yield SystemCommand("校验记录完整性", "重算校验链，核对每条记录和每次报送的指纹", self.action_verify)
        yield SystemCommand(
            "重建台账视图",
            "按全部记录重新推算台账显示，记录本身不变",
            self.action_rebuild_view,
        )
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
        from tui.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        from tui.form import Field, FormModal, choices

        campaign = self.ledger.campaign
        weeks = [
            (f"第{n}周（{a.month}月{a.day}日—{b.month}月{b.day}日）", str(n))
            for n in campaign.report_weeks
            for a, b in [campaign.week_days(n)]
        ]
        hint = (
            "不选周次则导出当前台账，日期为今天。某周的台账按截止时已录入的"
            "记录生成；事后补录的，依据选“现在所知”。"
        )
        # Looking at the past, the sheet wanted is the week reported by then,
        # if that moment lies within the week after its cut-off.
        week = ""
        moment = getattr(self.screen, "as_of", None)
        if moment is not None:
            reported = [n for n in campaign.report_weeks if self.ledger.week_cutoff(n) <= moment]
            # Only after the last week can a moment lie a week past the latest cut-off.
            after = bool(reported) and (
                moment >= self.ledger.week_cutoff(reported[-1]) + timedelta(days=7)
            )
            week = str(reported[-1]) if reported and not after else ""
            then = moment_words(moment.astimezone(campaign.tz))
            hint = (
                f"正在看历史视图（{then}）：" + (
                    f"已选该时刻之前截止的第{week}周。" if week else
                    "该时刻在各周截止之后，没有与之相应的周台账；" if after else
                    "该时刻之前还没有一周截止；"
                ) + hint
            )  # fmt: skip
        fields = [
            Field("unit", "单位", "select", True, choices(campaign.reporting_units),
                  value=self.operator.unit),
            Field("week", "周次", "select", options=weeks, placeholder="不选为当前台账",
                  value=week),
            Field("basis", "依据", "select", True, BASIS_CHOICES, value=REPORTED),
            Field("path", "保存到", placeholder=f"不填则保存在 {self.export_dir}"),
            Field("masked", "用途", "select", True, MASK_CHOICES, value=FULL),
        ]

        def submit(values: dict[str, Any]) -> None:
            week = int(values["week"]) if values["week"] else None
            masked = values["masked"] == MASKED
            # The current ledger is what is now known; the basis tells weeks apart.
            known = week is not None and values["basis"] == KNOWN
            typed = values["path"].strip()
            name = export_name(values["unit"], week, masked=masked, known=known)
            path = self.target(Path(typed).expanduser() if typed else None, name)
            self.ledger.official_sheet(values["unit"], week)  # refuse bad input now
            self.export_sheet(values["unit"], week, path, masked=masked, known=known)

        self.push_screen(
            FormModal("导出整改台账", fields, submit, year=campaign.year, hint=hint)
        )

    def target(self, typed: Path | None, name: str) -> Path:
        """Where an export goes: the typed file, or a free name in a folder.

        Refuses (ExportError) a destination that cannot be written, while the
        form is still open, so what was chosen is not lost.
        """
        if typed is None:
            path = free_path(self.export_dir / name)
        elif _is_folder(typed):
            path = free_path(typed / name)
        else:
            path = typed
        check_destination(path)
        self.keep_existing(path)
        return path

    def keep_existing(self, path: Path) -> None:
        """Refuse to write over a file already there, once per dialog.

        It may have been edited by hand since; a second save from the same
        dialog replaces it, as the refusal says.
        """
        if not path.exists():
            return
        dialog, told = self._replacing
        if dialog is not self.screen:
            told = set()
        if path not in told:
            self._replacing = (self.screen, told | {path})
            raise ExportError(path, FILE_EXISTS)

    def export_week(self, unit: str, week: int, typed: Path | None) -> None:
        """Export a week's sheet with its late reports and changes beside it."""
        path = self.target(typed, f"整改台账-{unit}-第{week}周-含差异.xlsx")
        self.export_sheet(unit, week, path, differences=True)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_sheet(
        self,
        unit: str,
        week: int | None,
        path: Path,
        differences: bool = False,
        masked: bool = False,
        known: bool = False,
    ) -> Path:
        """Build and write one unit's sheet off the event loop, with a bar and Esc."""
        from exporters.official import write_official_sheet

        with ProgressModal.shown(self, exporting(path.name), ROWS) as modal:
            problems = self.ledger.check(unit)
            sheet = self.ledger.official_sheet(unit, week, known=known)
            if differences and week is not None:
                view = self.ledger.week_view(week, unit)
                sheet = with_differences(sheet, view, FIELD_NAMES)
            if masked:
                sheet = mask_sheet(sheet)
            written = write_official_sheet(
                sheet, path, progress=modal.report, cancelled=modal.cancelled
            )
        self.call_from_thread(
            self.notify, f"已导出 {len(sheet.rows)} 条：{written}", title="导出完成", timeout=8
        )
        if (
            week is not None
            and not known
            and (late := self.ledger.entered_after(unit, self.ledger.week_cutoff(week)))
        ):
            self.call_from_thread(
                self.notify,
                entered_late(
                    week,
                    late,
                    "表后的“迟报漏报”表列出了它们"
                    if differences
                    else "导出时“依据”选“现在所知”可包含它们",
                ),
                severity="warning",
                timeout=15,
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

    def action_import_ledger(
        self, given: dict[str, str] | None = None, refusal: str = ""
    ) -> None:
        """Ask for a ledger file to bring in; the check runs before anything is written.

        `given` fills the dialog again, with `refusal` said in it, when the
        file as a whole was refused after reading.
        """
        from tui.form import Field, FormModal, choices

        campaign = self.ledger.campaign
        # A registered unit operator imports for their own unit unless they say.
        own = self.operator.unit if self.operator.role == Role.UNIT else ""
        given = given or {"unit": own}
        fields = [
            Field("path", "文件", required=True, placeholder="整改台账 .xlsx 的路径",
                  value=given.get("path", "")),
            Field("unit", "导入到单位", "select", options=choices(campaign.reporting_units),
                  placeholder="不选则取表中“单位（盖章）”一行，或单位操作员本人的单位",
                  value=given.get("unit", "")),
            Field("sheet", "工作表", placeholder="不填则取第一张有台账表头的工作表",
                  value=given.get("sheet", "")),
            Field("on", "表头日期", "date",
                  placeholder="表中无日期行时填写，如 6月3日",
                  value=given.get("on", "")),
        ]

        def submit(values: dict[str, Any]) -> None:
            path = Path(values["path"].strip()).expanduser()
            if not path.is_absolute():
                path = self.export_dir / path
            sniff(path)  # refuse a file that is no .xlsx beside the path typed
            # Kept as typed-back text: a refusal fills the dialog again with it.
            on = values["on"].isoformat() if values["on"] else ""
            self.check_import(path, {**values, "on": on})

        hint = refusal or "先逐行检查并列出不能导入的行，确认后才写入；同一文件不会导入两次。"
        self.push_screen(
            FormModal("导入整改台账", fields, submit, year=campaign.year, hint=hint)
        )

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def check_import(self, path: Path, given: dict[str, str]) -> None:
        """Read and check a ledger file off the event loop, then show the report.

        A refusal of the whole file (no such sheet, no unit, imported before)
        brings the dialog back as it was filled, saying why.
        """
        unit = given["unit"]
        try:
            with ProgressModal.shown(self, reading(path.name), ROWS) as modal:
                sheet = read_ledger(
                    path,
                    year=self.ledger.campaign.year,
                    sheet=given["sheet"].strip(),
                    progress=modal.report,
                    cancelled=modal.cancelled,
                )
                if given["on"]:
                    sheet = sheet.dated(date.fromisoformat(given["on"]))
                modal.retitle(checking(path.name))
                result = self.ledger.check_import(
                    self.operator,
                    sheet,
                    unit=unit,
                    progress=modal.report,
                    cancelled=modal.cancelled,
                )
        except (LedgerError, ImportFileError) as error:
            if isinstance(error, WorkCancelledError):
                raise
            log.info("import of %s refused: %r", path, error)
            self.call_from_thread(self.action_import_ledger, given, explain(error))
            return
        self.call_from_thread(self.show_import, sheet, result, unit)

    def show_import(self, sheet: ImportSheet, result: ImportResult, unit: str) -> None:
        from tui.import_screen import ImportScreen

        screen = ImportScreen(self.ledger, self.operator, sheet, result, unit)
        self.push_screen(screen, self.imported)

    def imported(self, result: ImportResult | None) -> None:
        if result is None:
            return
        self.notify(import_done(result), title="导入完成", timeout=8)
        self.refresh_screens()

    def action_weeks(self) -> None:
        from tui.finding_form import clerks_unit
        from tui.weeks_screen import WeeksScreen

        screen = self.ledger_screen()
        unit = screen.ledger_query().unit if screen else ""
        # A unit's clerk comes here to hand in their own weeks; the office and
        # the team, to see every unit's.
        unit = unit or clerks_unit(self.operator, self.ledger.campaign)
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
        from tui.form import Field, FormModal, choices

        campaign = self.ledger.campaign
        fields = [
            Field("unit", "单位", "select", True, choices(campaign.reporting_units),
                  value=self.operator.unit),
            Field("signer", "签字人", required=True, placeholder="单位主要负责同志姓名"),
        ]

        warned: set[str] = set()

        def submit(values: dict[str, Any]) -> None:
            unit = values["unit"]
            try:
                fingerprint = self.ledger.seal(
                    self.operator, unit, values["signer"], force=unit in warned
                )
            except SealLeavesWorkError as left:
                warned.add(unit)  # said once; a second Ctrl+S seals
                raise AskAgain(left, "确需现在封存，请再按 Ctrl+S。") from None
            self.notify(
                f"{values['unit']} 终版台账已封存，指纹 {fingerprint}。"
                "此后只能记录验收结果；验收未通过的问题还可整改，验收抽查新发现的问题还可登记。",
                title="已封存",
                timeout=10,
            )

        self.push_screen(
            FormModal("封存终版台账（总结验收阶段）", fields, submit, year=campaign.year,
                      hint="封存后，该单位的问题只能记录验收结果（验收未通过的还可整改，"
                      "验收抽查新发现的还可登记）。"
                      "封存记录不可撤销。")
        )

    def action_statistics(self) -> None:
        from tui.statistics_screen import StatisticsScreen

        screen = self.ledger_screen()
        unit = screen.ledger_query().unit if screen else ""
        self.push_screen(StatisticsScreen(self.ledger, unit))

    def action_coverage(self) -> None:
        from tui.coverage_screen import CoverageScreen

        screen = self.ledger_screen()
        unit = screen.ledger_query().unit if screen else ""
        self.push_screen(CoverageScreen(self.ledger, unit))

    def action_final_export(self) -> None:
        from exporters.final_report import check_markdown_destination, markdown_path
        from tui.form import Field, FormModal, choices

        campaign = self.ledger.campaign
        fields = [
            Field("unit", "单位", "select", True, choices(campaign.reporting_units),
                  value=self.operator.unit),
            Field("path", "台账保存到", placeholder=f"不填则保存在 {self.export_dir}"),
            Field("markdown", "总结保存到", placeholder="不填则与台账同名（.md）、同一文件夹"),
        ]

        def submit(values: dict[str, Any]) -> None:
            unit = values["unit"]
            self.ledger.final_report(unit)  # refuse before the last phase, now
            typed = values["path"].strip()
            path = self.target(
                Path(typed).expanduser() if typed else None, f"整改台账-{unit}-终版.xlsx"
            )
            summary = markdown_path(path)
            if typed_md := values["markdown"].strip():
                chosen = Path(typed_md).expanduser()
                summary = chosen / summary.name if chosen.is_dir() else chosen
            check_markdown_destination(summary)
            self.keep_existing(summary)
            self.export_final(unit, path, summary)

        self.push_screen(
            FormModal("导出终版台账及总结", fields, submit, year=campaign.year,
                      hint="终版台账附统计表和汇总表；总结（Markdown）数字与之相同，可贴入整改报告。")
        )

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_final(self, unit: str, path: Path, summary: Path) -> Path:
        """Write a unit's final ledger and its Markdown summary off the event loop.

        A cancel is heard until the workbook is complete; the summary follows
        it at once, so both files are written or neither.
        """
        from exporters.final_report import final_markdown, final_sheet, write_markdown
        from exporters.official import write_official_sheet

        with ProgressModal.shown(self, exporting(path.name), ROWS) as modal:
            report = self.ledger.final_report(unit)
            sheet = final_sheet(report)
            written = write_official_sheet(
                sheet, path, progress=modal.report, cancelled=modal.cancelled
            )
            write_markdown(final_markdown(report), summary)
        self.call_from_thread(
            self.notify,
            f"已导出终版台账 {written}（{len(report.sheet.rows)} 条，附统计、汇总）"
            f"和总结 {summary.name}",
            title="导出完成",
            timeout=8,
        )
        return written

    def action_journal(self) -> None:
        from tui.journal_screen import JournalScreen

        self.push_screen(JournalScreen(self.ledger))

    def action_rebuild_view(self) -> None:
        """Ask, then empty the ledger view and fold the whole log into it again."""
        screen = self.ledger_screen()
        if screen is not None and screen.as_of is not None:
            self.notify(REBUILD_IN_HISTORY, severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.rebuilding = True
                self.rebuild_view()

        question = rebuild_question(self.ledger.head())
        self.push_screen(ConfirmModal(REBUILD_TITLE, question), answered)

    @work(thread=True, exclusive=True, group="rebuild", exit_on_error=False)
    def rebuild_view(self) -> None:
        """Rebuild the ledger view behind a bar; a cancel leaves it as it was."""
        try:
            with (
                ProgressModal.shown(self, rebuilding(), EVENTS) as modal,
                self.ledger.in_use() as still_open,
            ):
                if not still_open:
                    return
                try:
                    folded = self.ledger.rebuild(
                        progress=modal.report, cancelled=modal.cancelled
                    )
                except WorkCancelledError:
                    if get_current_worker().is_cancelled:
                        raise  # the app quits
                    log.info("rebuild cancelled; the view is as it was")
                    message, title = REBUILD_STOPPED, CANCELLED_TITLE
                else:
                    message = rebuilt(folded, self.ledger.count_rows())
                    title = REBUILT_TITLE
                self.seen_head = self.ledger.head()
        finally:
            self.rebuilding = False
        self.call_from_thread(self.refresh_screens)
        self.call_from_thread(self.notify, message, title=title, timeout=8)

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll_log(self) -> None:
        """Fold new events into the view and refresh the screens when the log grew.

        The log's head, not what this process folded, tells: another process
        on the same file may have folded the events into the shared view first.
        """
        if self.ledger.damage is not None:
            return  # said once already; folding would stop at the same event
        if self.rebuilding:
            return  # the rebuild holds the view; it refreshes the screens after
        with self.ledger.in_use() as still_open:
            if not still_open:
                return  # the app is gone and its store closed
            self.ledger.catch_up()
            head = self.ledger.head()
        if head != self.seen_head:
            self.seen_head = head
            self.call_from_thread(self.refresh_screens)

    def refresh_screens(self) -> None:
        """Read the ledger again on the screens in view, and mark the rest stale.

        In view: the top screen, and those a dialog is drawn over. Only
        screens that show the live ledger (a form keeps what is typed), as
        marked on the class, so that no screen is loaded only to be asked.
        Out of view, a screen reads again when shown (`tui.live`).
        """
        self.follow_register()
        in_view = True
        for screen in reversed(self.screen_stack):
            if getattr(screen, "shows_live_ledger", False):
                if in_view:
                    screen.reload()
                else:
                    screen.stale = True  # type: ignore[attr-defined]
            in_view = in_view and isinstance(screen, ModalScreen)

    def follow_register(self) -> None:
        """Show the operator as the register has them now: the office may have
        moved them to another unit or role, or retired them, meanwhile (each
        step is judged by the register anyway; the header should agree)."""
        who = self.operator
        if not (self.signed_in and who.role):
            return  # nobody registered: the operator is as started
        try:
            now = self.ledger.sign_in(who.name)
        except LedgerError as refusal:  # retired meanwhile
            said = explain(refusal)
            if said != self._register_said:
                self._register_said = said
                self.notify(said, severity="warning", timeout=15)
            return
        if now != who:
            self.operator = now
            self.show_operator()
            self.notify(
                f"办公室已变更你的登记：现为{now.unit}，{role_name(now.role)}。", timeout=15
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if event.worker.group == "open":
            # Without a level view there is nothing to show: say why on exit.
            self.refusal = error
            self.exit(return_code=0 if isinstance(error, WorkCancelledError) else 1)
            return
        self.tell_failure(error, event.worker.name)

    def tell_failure(self, error: BaseException, work: str) -> None:
        """Say why background work stopped: a cancel calmly, a refusal as refused."""
        if isinstance(error, WorkCancelledError):
            self.notify(explain(error), title=CANCELLED_TITLE, timeout=8)
            return
        if not isinstance(error, Exception) or not is_refusal(error):
            log.error("background work %s failed", work, exc_info=error)
        message = explain(error) if isinstance(error, Exception) else str(error)
        self.notify(message, title="操作未完成", severity="error", timeout=10)
