"""Long work in the app: a bar while it runs, Esc or c to stop it, nothing half-done."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from textual.widgets import Input, ProgressBar, Static

import exporters.official
import tui.app
import tui.office_screen
from domain.audit import replay
from domain.campaign import Campaign
from domain.clock import SetClock
from domain.errors import WorkCancelledError
from domain.ledger import Ledger, NewFinding, Operator, open_ledger
from domain.progress import Progress
from tests.exporters.workbooks import make_book, row_values
from tui.app import TaizhangApp
from tui.confirm_modal import ConfirmModal
from tui.form import FormModal
from tui.import_screen import ImportScreen
from tui.ledger_screen import LedgerScreen
from tui.ledger_table import LedgerTable
from tui.office_screen import OfficeScreen
from tui.progress_modal import ProgressModal
from tui.wording import (
    CANCELLED,
    REBUILD_IN_HISTORY,
    REBUILD_STOPPED,
    rebuilding,
    rebuilt,
)

OPERATOR = Operator("张三", "褚河街道")


class Gate:
    """Hold long work at its first progress report until the test lets it go.

    The work runs in a worker thread and would otherwise finish before a key
    pressed by the test arrives; held, it is mid-way, as a person sees it.
    With `skip`, the work runs on past that many reports first.
    """

    def __init__(self, skip: int = 0) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self.skip = skip

    def hold(self, progress: Progress | None) -> Progress:
        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total)
            if self.skip:
                self.skip -= 1
            elif not self.reached.is_set():
                self.reached.set()
                self.released.wait(10)

        return report

    async def wait(self, pilot: Any) -> None:
        for _ in range(200):
            if self.reached.is_set():
                await pilot.pause()
                return
            await pilot.pause(0.05)
        raise AssertionError("the work never reported its progress")


def fill(ledger: Ledger, new_finding: Callable[..., NewFinding], count: int) -> None:
    for n in range(count):
        ledger.record(
            OPERATOR,
            new_finding(
                statement=f"第{n}户住房未做安全性认定",
                measures="完成认定并挂牌",
                deadline=date(2022, 6, 20),
                responsible_unit="市住建局",
            ),
        )


def notices(app: TaizhangApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_esc_cancels_an_export_leaving_no_file_and_the_app_works_on(
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill(ledger, new_finding, 40)
    out = tmp_path / "out"
    out.mkdir()
    gate = Gate()
    write = exporters.official.write_official_sheet

    def held(sheet: Any, path: Path, *, progress: Any, cancelled: Any) -> Path:
        return write(sheet, path, progress=gate.hold(progress), cancelled=cancelled)

    # The app imports the writer when it exports, so it finds this one.
    monkeypatch.setattr(exporters.official, "write_official_sheet", held)
    app = TaizhangApp(ledger, OPERATOR, export_dir=out)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await gate.wait(pilot)

        modal = app.screen
        assert isinstance(modal, ProgressModal)
        assert modal.query_one(ProgressBar).total == 80  # 40 rows on two sheets
        assert "0 / 80 行" in str(modal.query_one("#progress-count", Static).render())

        await pilot.press("escape")
        gate.released.set()
        await settle(pilot)

        assert isinstance(app.screen, LedgerScreen)
        assert CANCELLED["export"] in notices(app)
        assert list(out.iterdir()) == []

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)

    written = out / "整改台账-褚河街道-当前.xlsx"
    assert [p.name for p in out.iterdir()] == [written.name]
    sheet = openpyxl.load_workbook(written)["整改台账"]
    assert sheet["D4"].value == "第0户住房未做安全性认定"
    assert sheet["D43"].value == "第39户住房未做安全性认定"


async def test_c_cancels_the_offices_consolidated_export(
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill(ledger, new_finding, 10)
    out = tmp_path / "out"
    out.mkdir()
    gate = Gate()
    write = tui.office_screen.write_consolidated

    def held(*args: Any, progress: Any, cancelled: Any) -> Path:
        return write(*args, progress=gate.hold(progress), cancelled=cancelled)

    monkeypatch.setattr(tui.office_screen, "write_consolidated", held)
    app = TaizhangApp(ledger, OPERATOR, export_dir=out)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await gate.wait(pilot)
        assert isinstance(app.screen, ProgressModal)

        await pilot.press("c")
        gate.released.set()
        await settle(pilot)

        assert isinstance(app.screen, OfficeScreen)
        assert CANCELLED["export"] in notices(app)
    assert list(out.iterdir()) == []


async def test_esc_cancels_an_import_and_nothing_is_stored(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = make_book(tmp_path / "台账.xlsx", [row_values(n) for n in range(1, 31)])
    gate = Gate()
    record = ledger.import_sheet

    def held(*args: Any, progress: Any, **kwargs: Any) -> Any:
        return record(*args, progress=gate.hold(progress), **kwargs)

    monkeypatch.setattr(ledger, "import_sheet", held)
    head = ledger.head()
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#field-path", Input).value = str(book)
        await pilot.press("ctrl+s")
        await settle(pilot)
        report = app.screen
        assert isinstance(report, ImportScreen)

        await pilot.press("a")
        await gate.wait(pilot)
        assert isinstance(app.screen, ProgressModal)
        # Ctrl+C stops it too, as on the command line (it was ignored).
        await pilot.press("ctrl+c")
        gate.released.set()
        await settle(pilot)

        assert app.screen is report
        assert CANCELLED["import"] in notices(app)
        assert ledger.head() == head
        assert ledger.rows() == []

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, LedgerScreen)
    assert len(ledger.rows()) == 30


def far_behind(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Ledger, Gate, TaizhangApp]:
    """A store whose view lost 60 events, opened by an app held at its first report."""
    fill(ledger, new_finding, 30)
    ledger.projection.view.clear(ledger.name)
    monkeypatch.setattr(tui.app, "QUIET_CATCH_UP", 10)
    behind = open_ledger(campaign, store, clock, level=False)
    gate = Gate()
    level = behind.level_view

    def held(progress: Progress | None = None, cancelled: Any = None) -> None:
        level(gate.hold(progress), cancelled)

    monkeypatch.setattr(behind, "level_view", held)
    app = TaizhangApp(behind, OPERATOR, export_dir=tmp_path)
    return behind, gate, app


async def test_a_view_far_behind_opens_behind_a_bar_then_shows_the_ledger(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behind, gate, app = far_behind(
        campaign, store, clock, ledger, new_finding, tmp_path, monkeypatch
    )

    async with app.run_test(size=(100, 30)) as pilot:
        await gate.wait(pilot)
        modal = app.screen
        assert isinstance(modal, ProgressModal)
        assert modal.title_text == "正在整理台账视图"
        count = str(modal.query_one("#progress-count", Static).render())
        assert "0 / 60 条记录" in count  # every event is still to fold

        gate.released.set()
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert screen.query_one(LedgerTable).row_count == 30
    assert behind.rows() == list(replay(behind.events_in_order()).values())
    behind.close()


async def test_esc_while_opening_quits_and_the_next_opening_completes(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behind, gate, app = far_behind(
        campaign, store, clock, ledger, new_finding, tmp_path, monkeypatch
    )

    async with app.run_test(size=(100, 30)) as pilot:
        await gate.wait(pilot)
        await pilot.press("escape")
        gate.released.set()
        for _ in range(100):
            if app.refusal is not None:
                break
            await pilot.pause(0.05)
        assert app._exit  # the app quits by itself: there is no level view to show

    assert isinstance(app.refusal, WorkCancelledError)
    assert app.refusal.work == "catch_up"
    assert behind.behind() > 0
    behind.close()

    again = open_ledger(campaign, store, clock)
    try:
        assert again.behind() == 0
        assert again.rows() == list(replay(again.events_in_order()).values())
        assert len(again.rows()) == 30
    finally:
        again.close()


def edit_a_view_row(store: Path) -> None:
    """Change the view's second finding behind the app's back, its events untouched."""
    db = sqlite3.connect(store)
    with db:
        db.execute(
            "UPDATE ledger_rows SET status = '已销号',"
            " state = replace(state, '第1户', '第99户') WHERE rowid = 2"
        )
    db.close()


async def test_r_rebuilds_the_view_and_a_row_edited_by_hand_is_right_again(
    ledger: Ledger,
    store: Path,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
) -> None:
    fill(ledger, new_finding, 30)
    fresh = list(replay(ledger.events_in_order()).values())
    edit_a_view_row(store)
    assert ledger.verify().view_differs
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert screen.shown()[1].statement == "第99户住房未做安全性认定"
        commands = [command.title for command in app.get_system_commands(screen)]
        assert "重建台账视图" in commands

        await pilot.press("r")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert screen.shown()[1].statement == "第99户住房未做安全性认定"

        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, LedgerScreen)
        assert screen.shown() == fresh
        assert rebuilt(ledger.head(), 30) in notices(app)
    assert ledger.behind() == 0
    assert ledger.rows() == fresh
    assert ledger.verify().view_differs == ()


def hold_a_rebuild(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Hold the app's rebuild with two of its six batches of ten folded."""
    gate = Gate(skip=2)
    rebuild = ledger.rebuild

    def held_rebuild(*, progress: Progress, cancelled: Any) -> int:
        return rebuild(10, progress=gate.hold(progress), cancelled=cancelled)

    monkeypatch.setattr(ledger, "rebuild", held_rebuild)
    return gate


async def start_rebuild(pilot: Any, gate: Gate) -> None:
    """Press r and confirm; return once the held rebuild is mid-way."""
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    await pilot.press("enter")
    await gate.wait(pilot)


async def test_esc_mid_rebuild_leaves_the_view_as_it_was(
    ledger: Ledger,
    store: Path,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelled after two of its six batches, a rebuild has changed nothing.

    Not even the row edited by hand, which only a finished rebuild mends;
    and the ledger on screen never lacks a row meanwhile.
    """
    fill(ledger, new_finding, 30)
    edit_a_view_row(store)
    before = ledger.rows()
    gate = hold_a_rebuild(ledger, monkeypatch)
    counts: list[int] = []
    reload = LedgerScreen.reload

    def counted(screen: LedgerScreen) -> None:
        reload(screen)
        counts.append(screen.query_one(LedgerTable).row_count)

    monkeypatch.setattr(LedgerScreen, "reload", counted)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await start_rebuild(pilot, gate)
        modal = app.screen
        assert isinstance(modal, ProgressModal)
        assert modal.title_text == rebuilding()

        await pilot.press("escape")
        gate.released.set()
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        assert screen.shown() == before
        assert REBUILD_STOPPED in notices(app)
    assert counts and set(counts) == {30}
    assert ledger.behind() == 0
    assert ledger.rows() == before
    assert ledger.verify().view_differs


async def test_the_history_view_refuses_a_rebuild(
    ledger: Ledger, new_finding: Callable[..., NewFinding], tmp_path: Path
) -> None:
    fill(ledger, new_finding, 3)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#field-moment", Input).value = "2022-06-01"
        await pilot.press("ctrl+s")
        await pilot.pause()

        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        assert REBUILD_IN_HISTORY in notices(app)


async def test_ctrl_q_mid_rebuild_quits_and_the_view_is_as_it_was(
    campaign: Campaign,
    store: Path,
    clock: SetClock,
    ledger: Ledger,
    new_finding: Callable[..., NewFinding],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill(ledger, new_finding, 30)
    before = ledger.rows()
    gate = hold_a_rebuild(ledger, monkeypatch)
    app = TaizhangApp(ledger, OPERATOR, export_dir=tmp_path)

    async with app.run_test(size=(100, 30)) as pilot:
        await start_rebuild(pilot, gate)

        await pilot.press("ctrl+q")
        gate.released.set()
        await pilot.pause()
        assert app._exit

    with ledger.in_use():  # the worker has let go of the store
        assert ledger.behind() == 0
    again = open_ledger(campaign, store, clock)
    try:
        assert again.behind() == 0
        assert again.rows() == before
    finally:
        again.close()
