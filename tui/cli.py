"""The taizhang command line: open the ledger screen, or do its jobs without one."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import shutil
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

from eventsourcing.persistence import PersistenceError
from rich import box
from rich.console import Console
from rich.table import Table

from domain.campaign import Campaign, CampaignError, load_campaign
from domain.clock import Clock, SetClock
from domain.dates import DayParseError, format_day, parse_moment
from domain.demo import fill_demo
from domain.errors import EmptyTextError, LedgerError, UnknownValueError
from domain.ledger import Ledger, Operator, default_store_path, open_ledger
from domain.state import Status
from domain.view import LedgerQuery
from exporters.official import ExportError, write_official_sheet
from exporters.week_report import LATE_KINDS, with_differences
from tui.wording import FIELD_NAMES, explain, field_name

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130

OPERATOR_ENV = "TAIZHANG_OPERATOR"
UNIT_ENV = "TAIZHANG_UNIT"


class CommandRefused(Exception):
    """A request the command line turns down; the message is already Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreError(Exception):
    """The event store could not be opened, read or written."""

    def __init__(self, store: Path) -> None:
        super().__init__(store)
        self.store = store


# argparse words its own complaints in English; these are the ones users meet.
_ARGPARSE_WORDS = (
    (re.compile(r"^the following arguments are required: (.*)$"), r"缺少参数：\1"),
    (re.compile(r"^unrecognized arguments: (.*)$"), r"无法识别的参数：\1"),
    (re.compile(r"^argument (\S+): expected one argument$"), r"选项 \1 后面需要一个值"),
    (
        re.compile(r"^argument (\S+): invalid choice: (\S+) \(choose from (.*)\)$"),
        r"没有命令 \2，可用的命令有：\3",
    ),
    (re.compile(r"^argument (\S+): (.*)$"), r"选项 \1：\2"),
)


class _Formatter(argparse.HelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(
            usage, actions, groups, "用法：" if prefix is None else prefix
        )


class _Parser(argparse.ArgumentParser):
    """An argument parser that complains in Chinese."""

    def error(self, message: str) -> NoReturn:
        for pattern, wording in _ARGPARSE_WORDS:
            if pattern.match(message):
                message = pattern.sub(wording, message)
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_REFUSED, f"{self.prog}：参数有误：{message}\n")


def _week(text: str) -> int:
    try:
        week = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"周次应是数字，例如 1，而不是“{text}”"
        ) from None
    if week < 1:
        raise argparse.ArgumentTypeError(f"周次从 1 起算，不能是 {week}")
    return week


def _seed(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"种子应是整数，而不是“{text}”") from None


def _add_shared(group: argparse._ActionsContainer, *, after: bool) -> None:
    """Add the options every command shares; `after` is their copy for subcommands."""
    default = argparse.SUPPRESS if after else None
    group.add_argument(
        "--store",
        type=Path,
        default=default,
        metavar="文件",
        help="台账数据文件（SQLite），首次使用时自动创建；默认放在用户数据目录",
    )
    group.add_argument(
        "--campaign",
        type=Path,
        default=default,
        metavar="文件",
        help="工作定义文件（TOML）；默认使用随软件提供的禹州市2022年“回头看”",
    )
    group.add_argument(
        "--operator",
        default=default,
        metavar="姓名",
        help=f"操作员姓名；默认取环境变量 {OPERATOR_ENV}，否则取登录名",
    )


def _add_help(group: argparse._ActionsContainer) -> None:
    group.add_argument("-h", "--help", action="help", help="显示本帮助并退出")


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of the taizhang command and its subcommands."""
    parser = _Parser(
        prog="taizhang",
        description="整改台账：把排查发现的问题和每一步整改记录为不可更改的事件，"
        "并导出正式整改台账。不带命令时打开台账界面。",
        formatter_class=_Formatter,
        add_help=False,
    )
    shared = parser.add_argument_group("通用选项")
    _add_help(shared)
    _add_shared(shared, after=False)
    shared.add_argument(
        "--unit",
        metavar="单位",
        help=f"操作员所在单位，须是工作定义中的单位；默认取环境变量 {UNIT_ENV}，"
        "否则取第一个乡镇（街道）。须写在命令之前",
    )

    commands = parser.add_subparsers(dest="command", title="可用命令", metavar="命令")
    export = commands.add_parser(
        "export",
        help="导出某单位的正式整改台账（.xlsx）",
        description="导出某单位某一周（或当前）的正式整改台账。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = export.add_argument_group("选项")
    _add_help(options)
    options.add_argument(
        "--unit",
        dest="export_unit",
        metavar="单位",
        help="导出哪个单位的台账；默认为操作员所在单位",
    )
    options.add_argument(
        "--week",
        type=_week,
        metavar="周次",
        help="报送周次（第几周）：按该周结束时已录入的情况导出；不写则导出当前台账",
    )
    options.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="文件",
        help="导出文件，须以 .xlsx 结尾；默认在当前文件夹生成"
        "“整改台账-单位-第N周.xlsx”或“整改台账-单位-当前.xlsx”",
    )
    _add_shared(options, after=True)

    demo = commands.add_parser(
        "demo",
        help="在新的数据文件中填入一套演示数据",
        description="在新的（空的）数据文件中填入一次完整的演示工作：6 个单位、"
        "各类问题和各种整改状态，时间为2022年6月1日至25日。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = demo.add_argument_group("选项")
    _add_help(options)
    options.add_argument(
        "--seed",
        type=_seed,
        default=7,
        metavar="整数",
        help="随机种子，同一种子总是生成同样的数据（默认 7）",
    )
    _add_shared(options, after=True)

    replay = commands.add_parser(
        "replay",
        help="显示过去某一时刻的台账",
        description="重放记录，显示某一时刻的台账：只计入该时刻之前录入的记录。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = replay.add_argument_group("选项")
    _add_help(options)
    options.add_argument(
        "--as-of",
        required=True,
        metavar="时刻",
        help="如 2022-06-10T18:00、“2022-06-10 18:00”；只写日期表示那一天结束时",
    )
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    _add_shared(options, after=True)

    week = commands.add_parser(
        "week",
        help="某一周的按时上报与现在所知、迟报漏报和与上周比较",
        description="显示某一报送周的台账两种视角的差异，可导出带差异表的台账。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = week.add_argument_group("选项")
    _add_help(options)
    options.add_argument("number", type=_week, metavar="周次", help="第几周")
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    options.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="文件",
        help="同时导出该单位该周的台账及差异表（.xlsx）；须同时指定 --unit",
    )
    _add_shared(options, after=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the taizhang command and return its exit code.

    0 when done, 2 when the request was refused (the reason is printed in
    Chinese on stderr), 1 on an unexpected fault (details go to the log file
    beside the store), 130 when interrupted.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        # argparse exits after --help (0) or after printing a usage error (2).
        return stop.code if isinstance(stop.code, int) else EXIT_REFUSED

    root = logging.getLogger()
    level = root.level
    handler: logging.Handler = logging.NullHandler()
    root.addHandler(handler)
    log_file: Path | None = None
    try:
        store: Path = (args.store or default_store_path()).expanduser()
        root.removeHandler(handler)
        handler, log_file = _log_to(_log_path(store))
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        return _run(args, store)
    except (LedgerError, CampaignError, DayParseError, ExportError) as error:
        log.info("refused: %r", error)
        _say(explain(error))
        return EXIT_REFUSED
    except CommandRefused as refusal:
        log.info("refused: %s", refusal.message)
        _say(refusal.message)
        return EXIT_REFUSED
    except StoreError as error:
        log.error("cannot use the store %s", error.store, exc_info=error.__cause__)
        _say(
            f"无法读写台账数据文件 {error.store}，请检查路径、权限，"
            f"或是否被其他程序占用。{_see(log_file, error.__cause__)}"
        )
        return EXIT_FAULT
    except KeyboardInterrupt:
        _say("已中断。")
        return EXIT_INTERRUPTED
    except Exception as error:
        # The last line of defence: keep the traceback for us, not the operator.
        log.exception("unexpected failure")
        _say(f"发生意外错误，操作未完成。{_see(log_file, error)}")
        return EXIT_FAULT
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _run(args: argparse.Namespace, store: Path) -> int:
    campaign = load_campaign(args.campaign)
    operator = _operator(args, campaign)

    if args.command == "export":
        unit = args.export_unit or operator.unit
        week: int | None = args.week
        if week is not None and week not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {week} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        target = args.output or Path(_default_name(unit, week))
        if target.suffix.lower() != ".xlsx":
            raise CommandRefused(f"导出文件须以 .xlsx 结尾：{target}")
        with _opened(campaign, store) as ledger:
            return _export(ledger, unit, week, target)

    if args.command == "replay":
        moment = parse_moment(args.as_of, year=campaign.year, tz=campaign.tz)
        with _opened(campaign, store) as ledger:
            return _replay(ledger, moment, args.command_unit or "")

    if args.command == "week":
        if args.number not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {args.number} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        if args.output is not None and not args.command_unit:
            raise CommandRefused("导出某一周的台账须用 --unit 指定单位。")
        if args.output is not None and args.output.suffix.lower() != ".xlsx":
            raise CommandRefused(f"导出文件须以 .xlsx 结尾：{args.output}")
        with _opened(campaign, store) as ledger:
            return _week_report(ledger, args.number, args.command_unit or "", args.output)

    if args.command == "demo":
        first_morning = datetime.combine(
            campaign.weeks.first_day, time(8), tzinfo=campaign.tz
        )
        clock = SetClock(first_morning)
        with _opened(campaign, store, clock) as ledger:
            return _demo(ledger, clock, store, args.seed)

    # Textual loads only when the screen is really wanted.
    from tui.app import TaizhangApp

    with _opened(campaign, store) as ledger:
        log.info("opening the ledger screen for %s (%s)", operator.name, operator.unit)
        app = TaizhangApp(ledger, operator)
        app.run()
    if app.return_code:
        log.error("the ledger screen stopped with code %s", app.return_code)
        _say("台账界面意外退出，详情已写入日志。")
        return EXIT_FAULT
    return EXIT_OK


def _export(ledger: Ledger, unit: str, week: int | None, target: Path) -> int:
    sheet = ledger.official_sheet(unit, week)
    write_official_sheet(sheet, target)
    log.info("exported %s week %s to %s: %d rows", unit, week, target, len(sheet.rows))

    if week is None:
        when = f"当前（{format_day(sheet.report_date)}）"
    else:
        when = f"第 {week} 周（截至{format_day(sheet.report_date)}）"
    print(f"已导出 {target}：{unit}，{when}，共 {len(sheet.rows)} 行。")
    return EXIT_OK


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print an aligned table; Chinese characters count two columns."""
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(width=max(100, shutil.get_terminal_size().columns)).print(table)


def _replay(ledger: Ledger, moment: datetime, unit: str) -> int:
    if unit:
        ledger.official_sheet(unit)  # refuse an unknown unit in Chinese
    rows = ledger.rows_as_of(moment.astimezone(UTC), LedgerQuery(unit=unit))
    day = (moment - timedelta(microseconds=1)).date()
    labels = {c.key: c.label for c in ledger.campaign.categories}
    _table(
        f"{moment:%Y年%m月%d日 %H:%M} 时的台账（{unit or '全部单位'}）：{len(rows)} 条",
        ("序号", "单位", "问题类型", "性质", "问题表述", "完成时限", "责任单位", "状态"),
        [
            (
                str(n),
                s.reporting_unit,
                labels.get(s.category, s.category),
                s.nature.removesuffix("问题"),
                s.statement,
                (s.deadline.isoformat() if s.deadline else "")
                + ("（逾期）" if s.is_overdue(day) else ""),
                s.responsible_unit,
                str(s.status),
            )
            for n, s in enumerate(rows, 1)
        ],
    )
    return EXIT_OK


def _week_report(ledger: Ledger, week: int, unit: str, target: Path | None) -> int:
    view = ledger.week_view(week, unit)
    print(
        f"第 {week} 周（{format_day(view.first_day)}—{format_day(view.last_day)}），"
        f"{unit or '全部单位'}：按时上报 {len(view.reported)} 条，现在所知 {len(view.known)} 条。"
    )
    _table(
        f"迟报/漏报 {len(view.late)} 条",
        ("情形", "单位", "问题表述", "按时上报时", "现在所知"),
        [(LATE_KINDS[e.kind], e.unit, e.statement, e.reported, e.known) for e in view.late],
    )
    d = view.diff
    changes = [
        (kind, s.reporting_unit, s.statement, "")
        for kind, states in (("新增", d.new), ("销号", d.closed), ("新逾期", d.slipped))
        for s in states
    ]
    changes += [
        ("变更", s.reporting_unit, s.statement,
         "；".join(f"{field_name(c.field)}：{c.before} → {c.after}" for c in fields))
        for s, fields in d.changed
    ]
    _table(f"与上周比较 {len(changes)} 项", ("变化", "单位", "问题表述", "内容"), changes)
    if target is not None:
        sheet = with_differences(ledger.official_sheet(unit, week), view, FIELD_NAMES)
        write_official_sheet(sheet, target)
        print(f"已导出 {target}：{unit}，第 {week} 周，共 {len(sheet.rows)} 行，含差异表。")
    return EXIT_OK


def _demo(ledger: Ledger, clock: SetClock, store: Path, seed: int) -> int:
    held = ledger.head()
    if held > 0:
        raise CommandRefused(
            f"数据文件 {store} 已有 {held} 条记录，演示数据只能填入新的数据文件；"
            "请用 --store 指定一个还不存在的文件。"
        )
    count = fill_demo(ledger, clock, seed=seed)
    log.info("filled %s with %d demo findings (seed %d)", store, count, seed)

    rows = ledger.rows()
    statuses = Counter(row.status for row in rows)
    units = len({row.reporting_unit for row in rows})
    last_day = ledger.campaign.last_day
    overdue = len(ledger.rows(LedgerQuery(overdue_on=last_day)))
    print(f"已在 {store} 填入演示数据：{units} 个单位，{count} 个问题。")
    print("，".join(f"{status} {statuses[status]} 个" for status in Status) + "；")
    print(f"截至 {format_day(last_day)}，已逾期 {overdue} 个。")
    return EXIT_OK


@contextmanager
def _opened(
    campaign: Campaign, store: Path, clock: Clock | None = None
) -> Iterator[Ledger]:
    """Open the ledger for a `with` block and close it on every way out."""
    try:
        ledger = open_ledger(campaign, store, clock)
    except (PersistenceError, sqlite3.Error, OSError) as error:
        raise StoreError(store) from error
    try:
        yield ledger
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreError(store) from error
    finally:
        ledger.close()


def _operator(args: argparse.Namespace, campaign: Campaign) -> Operator:
    name = args.operator
    if name is None:
        name = os.environ.get(OPERATOR_ENV) or _login_name()
    if not name.strip():
        raise EmptyTextError("operator")
    units = campaign.all_units
    unit = (
        args.unit or os.environ.get(UNIT_ENV) or (campaign.units.townships or units)[0]
    )
    if unit not in units:
        raise UnknownValueError("unit", unit)
    return Operator(name.strip(), unit)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _default_name(unit: str, week: int | None) -> str:
    when = "当前" if week is None else f"第{week}周"
    return f"整改台账-{unit}-{when}.xlsx"


class _QuietFileHandler(logging.FileHandler):
    """A log file that never prints its own failures over the operator's screen."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def _log_path(store: Path) -> Path | None:
    """Return the log file beside the store: ledger.sqlite.log for ledger.sqlite."""
    store = store.expanduser().absolute()
    return store.with_name(store.name + ".log") if store.name else None


def _log_to(path: Path | None) -> tuple[logging.Handler, Path | None]:
    """Make the handler for this run's log records, and the file it writes.

    When no file can be written the records are dropped rather than printed:
    the operator's screen only ever gets the one Chinese line.
    """
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            path = None
    if path is None:
        return logging.NullHandler(), None
    handler = _QuietFileHandler(path, encoding="utf-8", delay=True)
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    return handler, path


def _see(log_file: Path | None, error: BaseException | None) -> str:
    """Point at the log file, or name the error when there is none."""
    if log_file is not None:
        return f"详情见日志 {log_file}。"
    return f"（{type(error).__name__}: {error}）" if error is not None else ""


def _say(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
