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
import unicodedata
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
from domain.errors import LedgerError, UnknownValueError
from domain.finding import required_text
from domain.keys import KEY_ENV, checked_key, read_key_file, write_key_file
from domain.ledger import Ledger, Operator, default_store_path, open_ledger
from domain.state import Status
from domain.text import forbidden_character
from domain.view import LedgerQuery
from exporters.fingerprint import verify_ledger
from exporters.masking import mask_sheet
from exporters.official import ExportError, write_official_sheet
from exporters.week_report import LATE_KINDS, with_differences
from tui.wording import (
    FIELD_NAMES,
    PATH_LIMIT,
    MATCH_WORDS,
    PROBLEM_NAMES,
    PROBLEM_WORDS,
    REFUSAL_WORDS,
    SIGNAL_NAMES,
    event_name,
    explain,
    field_name,
    problem_text,
    quoted,
    restored_text,
    signal_text,
)

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAULT = 1
# A check that found problems, or a redraw that differs from its record.
EXIT_FOUND = 1
EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130
# What a shell reports for a command whose output reader stopped (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

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
    (re.compile(r"^one of the arguments (.*) is required$"), r"须给出以下选项之一：\1"),
    (
        re.compile(r"^argument (\S+): not allowed with argument (\S+)$"),
        r"选项 \1 不能与 \2 同时使用",
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


def _count(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"应是整数，而不是“{text}”") from None


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
    group.add_argument(
        "--key-file",
        type=Path,
        default=default,
        metavar="文件",
        help=f"加密台账的密钥文件（须仅本人可读，可用 keygen 生成）；"
        f"默认取环境变量 {KEY_ENV}，都没有则不加密",
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
    options.add_argument(
        "--masked",
        action="store_true",
        help="对外脱敏版：户主姓名只留姓（王某某→王某），身份证等长号码隐去中间数字",
    )
    _add_shared(options, after=True)

    keygen = commands.add_parser(
        "keygen",
        help="生成加密台账用的密钥文件",
        description="生成一个新的随机密钥，写入仅本人可读的新文件（不会覆盖已有文件）。"
        "之后用 --key-file 该文件（或把内容放入环境变量 "
        f"{KEY_ENV}）创建和打开加密的台账。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = keygen.add_argument_group("选项")
    _add_help(options)
    options.add_argument("key_path", type=Path, metavar="文件", help="新密钥文件的路径")

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
    _add_inspection_commands(commands)
    _add_report_commands(commands)
    return parser


def _add_report_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add submitting, sealing, the office's overview and verification."""

    def command(name: str, summary: str, description: str) -> argparse._ArgumentGroup:
        parser = commands.add_parser(
            name, help=summary, description=description,
            formatter_class=_Formatter, add_help=False,
        )
        options = parser.add_argument_group("选项")
        _add_help(options)
        _add_shared(options, after=True)
        return options

    options = command(
        "submit", "报送某一周的台账",
        "记录某单位报送了某一周的台账，连同该周截止时的记录指纹；该周结束后才能报送。",
    )
    options.add_argument("--week", type=_week, required=True, metavar="周次", help="第几周")
    options.add_argument("--unit", dest="command_unit", metavar="单位",
                         help="报送哪个单位；默认为操作员所在单位")

    options = command(
        "seal", "签字封存终版台账",
        "总结验收阶段，由单位主要负责同志签字封存终版台账；此后只能记录验收结果。",
    )
    options.add_argument("--signer", required=True, metavar="姓名", help="签字人")
    options.add_argument("--unit", dest="command_unit", metavar="单位",
                         help="封存哪个单位；默认为操作员所在单位")

    command("reports", "各单位的报送与封存情况", "列出每个单位已报送、应报未报的周次及终版台账封存情况。")

    options = command(
        "verify", "校验记录是否被改动",
        "重算全部记录的校验链，指出第一条被改动、删除或插入的记录；"
        "核对每次报送的指纹和给出的台账文件。有异常时退出码为 1。",
    )
    options.add_argument("--against", nargs="+", type=Path, default=[], metavar="文件",
                         help="要核对的台账文件（.xlsx），可给多个")



def _add_inspection_commands(
    commands: argparse._SubParsersAction[_Parser],
) -> None:
    """Add the commands of the inspection team: check, signals, sample, undo."""
    for name, summary, description in (
        (
            "check",
            "检查台账中验收时会被指出的问题",
            (
                "检查当前台账：缺完成时限、缺整改措施、缺原因分析、完成却无进展、"
                "时限早于发现日期、责任单位有误、已逾期。有问题时退出码为 1。"
            ),
        ),
        (
            "signals",
            "列出疑似漏报、瞒报、弄虚作假的线索",
            (
                "按单位列出值得核查的记录：迟录、抽查发现、截止前作废或改性质、"
                "临期延期、补录完成，并给出相应日期。"
            ),
        ),
    ):
        command = commands.add_parser(
            name,
            help=summary,
            description=description,
            formatter_class=_Formatter,
            add_help=False,
        )
        options = command.add_argument_group("选项")
        _add_help(options)
        options.add_argument(
            "--unit",
            dest="filter_unit",
            default="",
            metavar="单位",
            help="只看这个单位；默认看全部单位",
        )
        _add_shared(options, after=True)

    sample = commands.add_parser(
        "sample",
        help="随机抽取待验收问题，或复核一次抽样",
        description="按单位和问题类型分层，从待验收的问题中随机抽取验收样本，"
        "并记录种子，任何人都可以用 --redraw 重抽核对。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = sample.add_argument_group("选项")
    _add_help(options)
    what = options.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--per-stratum",
        type=_count,
        metavar="N",
        help="每个单位、每个问题类型抽取几个（不足则全取）",
    )
    what.add_argument(
        "--redraw", metavar="抽样编号", help="按记录的种子重抽，核对是否与记录一致"
    )
    what.add_argument("--list", action="store_true", help="列出全部抽样记录")
    options.add_argument(
        "--seed",
        type=_seed,
        metavar="整数",
        help="随机种子；不写则随机选取，并与样本一起记录",
    )
    _add_shared(options, after=True)

    undo = commands.add_parser(
        "undo",
        help="撤销自己在某个问题上记录的最近一步",
        description="撤销操作员本人在该问题上记录的最近一步；撤销本身也留在记录中。"
        "登记问题不能撤销（请用作废），撤销也不能再撤销。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = undo.add_argument_group("选项")
    _add_help(options)
    options.add_argument("finding_id", metavar="问题编号", help="要撤销的问题的编号")
    _add_shared(options, after=True)


def main(argv: list[str] | None = None) -> int:
    """Run the taizhang command and return its exit code.

    0 when done, 2 when the request was refused (the reason is printed in
    Chinese on stderr), 1 on an unexpected fault (details go to the log file
    beside the store) and also when `check` finds problems or a redrawn
    sample differs from its record, 130 when interrupted, 141 when the
    reader of the output closed it early.
    """
    given = sys.argv[1:] if argv is None else argv
    if any("\0" in arg for arg in given):
        # A shell cannot pass one, but a script calling main() can; no file,
        # name or number may hold it, and argparse would echo it raw.
        _say("参数中含有空字符（NUL），无法使用；请检查调用本命令的脚本。")
        return EXIT_REFUSED
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
        handler, log_file = _log_to(_log_path())
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        code = _run(args, store)
        # A reader that went away (`taizhang check | head`) shows here, not at exit.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        log.info("the reader of the output closed it early")
        _drop_output()
        return EXIT_BROKEN_PIPE
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
    if args.store is not None and not store.parent.is_dir():
        raise CommandRefused(f"数据文件所在的文件夹不存在：{quoted(store.parent, PATH_LIMIT)}")
    if any(word in str(store) for word in MEMORY_WORDS):
        # SQLite would keep such a "file" in memory and lose every event on exit.
        raise CommandRefused(
            f"数据文件名不能含有 {' 或 '.join(MEMORY_WORDS)}：{quoted(store, PATH_LIMIT)}"
        )
    if args.command == "keygen":
        write_key_file(args.key_path)
        print(
            f"已生成密钥文件 {args.key_path}（仅本人可读）。请另行妥善备份："
            "丢失密钥，加密的台账将无法打开。"
        )
        return EXIT_OK
    key = _key(args)
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
            raise CommandRefused(f"导出文件须以 .xlsx 结尾：{quoted(target, PATH_LIMIT)}")
        _check_not_store(target, store)
        with _opened(campaign, store, key=key) as ledger:
            return _export(ledger, unit, week, target, masked=args.masked)

    if args.command == "replay":
        moment = parse_moment(args.as_of, year=campaign.year, tz=campaign.tz)
        with _opened(campaign, store, key=key) as ledger:
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
            raise CommandRefused(
                f"导出文件须以 .xlsx 结尾：{quoted(args.output, PATH_LIMIT)}"
            )
        if args.output is not None:
            _check_not_store(args.output, store)
        with _opened(campaign, store, key=key) as ledger:
            return _week_report(ledger, args.number, args.command_unit or "", args.output)

    if args.command == "demo":
        return _demo(campaign, store, args.seed, key)

    if args.command in ("check", "signals", "sample", "undo"):
        with _opened(campaign, store, key=key) as ledger:
            return _inspect(args, ledger, operator)

    if args.command in ("submit", "seal", "reports", "verify"):
        with _opened(campaign, store, key=key) as ledger:
            return _report(args, ledger, operator)

    # Textual loads only when the screen is really wanted.
    from tui.app import TaizhangApp

    with _opened(campaign, store, key=key) as ledger:
        log.info("opening the ledger screen for %s (%s)", operator.name, operator.unit)
        app = TaizhangApp(ledger, operator)
        app.run()
    if app.return_code:
        log.error("the ledger screen stopped with code %s", app.return_code)
        _say("台账界面意外退出，详情已写入日志。")
        return EXIT_FAULT
    return EXIT_OK


# Names SQLite reads as an in-memory database rather than a file.
MEMORY_WORDS = (":memory:", "mode=memory")


def _check_not_store(target: Path, store: Path) -> None:
    """Refuse to write a workbook over the event store or its journal files."""
    targets = [store, *(store.with_name(store.name + end) for end in ("-wal", "-shm"))]
    try:
        chosen = target.expanduser().resolve()
        hit = any(chosen == t.resolve() for t in targets)
    except (OSError, RuntimeError):
        return  # an unresolvable path is refused by the export itself
    if hit:
        raise CommandRefused(
            f"导出文件 {quoted(target, PATH_LIMIT)} 就是台账数据文件，导出会覆盖全部记录；"
            "请换一个文件名。"
        )


def _export(
    ledger: Ledger, unit: str, week: int | None, target: Path, *, masked: bool = False
) -> int:
    problems = ledger.check(unit)
    sheet = ledger.official_sheet(unit, week)
    if masked:
        sheet = mask_sheet(sheet)
    write_official_sheet(sheet, target)
    log.info("exported %s week %s to %s: %d rows", unit, week, target, len(sheet.rows))

    if week is None:
        when = f"当前（{format_day(sheet.report_date)}）"
    else:
        when = f"第 {week} 周（截至{format_day(sheet.report_date)}）"
    kind = "（对外脱敏版：户主姓名、证件号码已隐去）" if masked else ""
    print(f"已导出 {target}{kind}：{unit}，{when}，共 {len(sheet.rows)} 行。")
    if problems:
        print(
            f"导出前检查：当前台账有 {len(problems)} 处验收时可能被指出的问题，"
            f"运行 taizhang check --unit {unit} 查看。"
        )
    return EXIT_OK


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print an aligned table; Chinese characters count two columns."""
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_printable(cell) for cell in row))
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


def _demo(campaign: Campaign, store: Path, seed: int, key: str | None) -> int:
    """Fill a fresh store with the demo campaign, all or nothing.

    The events go into a file beside the store, which takes the store's name
    only when complete and only if no store with events appeared meanwhile:
    an interrupted or concurrent demo leaves no half-filled store behind.
    """
    if store.exists():
        with _opened(campaign, store, key=key) as existing:
            held = existing.head()
        if held > 0:
            raise CommandRefused(
                f"数据文件 {store} 已有 {held} 条记录，演示数据只能填入新的数据文件；"
                "请用 --store 指定一个还不存在的文件。"
            )
    partial = store.with_name(f".{store.name}.demo-{os.getpid()}")
    first_morning = datetime.combine(campaign.weeks.first_day, time(8), tzinfo=campaign.tz)
    clock = SetClock(first_morning)
    try:
        with _opened(campaign, partial, clock, key=key) as ledger:
            count = fill_demo(ledger, clock, seed=seed)
            rows = ledger.rows()
            last_day = ledger.campaign.last_day
            overdue = len(ledger.rows(LedgerQuery(overdue_on=last_day)))
        _claim(partial, store)
    finally:
        for leftover in (partial, *(Path(f"{partial}{end}") for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    log.info("filled %s with %d demo findings (seed %d)", store, count, seed)

    statuses = Counter(row.status for row in rows)
    units = len({row.reporting_unit for row in rows})
    print(f"已在 {store} 填入演示数据：{units} 个单位，{count} 个问题。")
    print("，".join(f"{status} {statuses[status]} 个" for status in Status) + "；")
    print(f"截至 {format_day(last_day)}，已逾期 {overdue} 个。")
    return EXIT_OK


def _claim(partial: Path, store: Path) -> None:
    """Give the finished demo file the store's name, unless another store got it."""
    if store.exists():
        # Only an empty store (opened once, never written) may be replaced.
        os.replace(partial, store)
        return
    try:
        os.link(partial, store)
    except FileExistsError:
        raise CommandRefused(
            f"数据文件 {store} 刚被另一个程序创建，演示数据未写入；请换一个文件。"
        ) from None


def _report(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> int:
    unit = getattr(args, "command_unit", None) or operator.unit
    if args.command == "submit":
        fingerprint = ledger.submit_week(operator, unit, args.week)
        print(f"已报送 {unit} 第 {args.week} 周台账，指纹 {fingerprint}。")
        return EXIT_OK
    if args.command == "seal":
        fingerprint = ledger.seal(operator, unit, args.signer)
        print(f"{unit} 终版台账已由 {args.signer.strip()} 签字封存，指纹 {fingerprint}。")
        return EXIT_OK
    if args.command == "reports":
        _table(
            "各单位报送情况",
            ("单位", "已报送", "应报未报", "终版台账"),
            [
                (
                    r.unit,
                    "、".join(f"第{w}周" for w in r.submitted) or "—",
                    "、".join(f"第{w}周" for w in r.missing) or "—",
                    f"{r.sealed_by} 签字封存" if r.sealed_by else "未封存",
                )
                for r in ledger.unit_reports()
            ],
        )
        return EXIT_OK
    return _verify(ledger, args.against)


def _verify(ledger: Ledger, files: list[Path]) -> int:
    submitted = [s for s in ledger.submissions() if s.fingerprint]
    report = verify_ledger(ledger, files, [s.fingerprint for s in submitted])
    problem = report.problem
    if problem is None:
        print(f"记录完整：共 {report.head} 条记录，校验链逐条一致。")
    else:
        word = PROBLEM_WORDS.get(str(problem.kind), str(problem.kind))
        print(
            f"发现异常：第 {problem.position} 条记录{word}"
            f"（问题 {problem.finding_id or '—'}，第 {problem.version or '—'} 步），"
            f"共 {len(report.problems)} 处。"
        )
    for submission, check in zip(submitted, report.fingerprints, strict=True):
        print(
            f"{submission.unit} 第 {submission.week} 周报送的指纹 {check.fingerprint}："
            f"{MATCH_WORDS[check.match]}"
        )
    for checked in report.files:
        if checked.refusal is not None:
            print(f"文件 {checked.path}：{REFUSAL_WORDS.get(str(checked.refusal), str(checked.refusal))}")
        elif checked.check is not None:
            print(
                f"文件 {checked.path} 的指纹 {checked.check.fingerprint}："
                f"{MATCH_WORDS[checked.check.match]}"
            )
    return EXIT_OK if report.clean else 1


def _inspect(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> int:
    if args.command == "check":
        return _check(ledger, args.filter_unit)
    if args.command == "signals":
        return _signals(ledger, args.filter_unit)
    if args.command == "undo":
        return _undo(ledger, operator, args.finding_id)
    if args.seed is not None and args.per_stratum is None:
        raise CommandRefused("--seed 只能与 --per-stratum 一起使用。")
    if args.list:
        return _list_samples(ledger)
    if args.redraw is not None:
        return _redraw(ledger, args.redraw.strip())
    return _draw(ledger, operator, args.per_stratum, args.seed)


def _check(ledger: Ledger, unit: str) -> int:
    problems = ledger.check(unit)
    scope = unit or "全部单位"
    checked = len(ledger.rows(LedgerQuery(unit=unit)))
    if not problems:
        print(f"{scope}：检查了 {checked} 条台账记录，未发现问题。")
        return EXIT_OK

    findings = len({p.finding_id for p in problems})
    print(
        f"{scope}：检查了 {checked} 条台账记录，"
        f"{findings} 条有问题，共 {len(problems)} 处："
    )
    _print_table(
        ("单位", "问题", "说明", "问题表述", "问题编号"),
        [
            (p.unit, PROBLEM_NAMES[p.kind], problem_text(p), p.statement, p.finding_id)
            for p in problems
        ],
        (None, None, SENTENCE_WIDTH, STATEMENT_WIDTH),
    )
    return EXIT_FOUND


def _signals(ledger: Ledger, unit: str) -> int:
    found = ledger.signals(unit)
    scope = unit or "全部单位"
    if not found:
        print(f"{scope}：未发现需要核查的线索。")
        return EXIT_OK

    print(
        f"{scope}：发现 {len(found)} 条需要核查的线索（线索不等于问题，请逐条核实）："
    )
    _print_table(
        ("单位", "线索", "日期与经过", "问题表述", "问题编号"),
        [
            (s.unit, SIGNAL_NAMES[s.kind], signal_text(s), s.statement, s.finding_id)
            for s in found
        ],
        (None, None, SENTENCE_WIDTH, STATEMENT_WIDTH),
    )
    return EXIT_OK


def _draw(
    ledger: Ledger, operator: Operator, per_stratum: int, seed: int | None
) -> int:
    sample_id = ledger.draw_sample(operator, per_stratum=per_stratum, seed=seed)
    sample = ledger.sample(sample_id)
    count = len(sample.finding_ids)
    log.info("drew sample %s: seed %d, %d findings", sample_id, sample.seed, count)

    print(
        f"已抽取样本 {sample_id}：种子 {sample.seed}，每层 {sample.per_stratum} 个，"
        f"共 {count} 个待验收问题。"
    )
    _print_sample(ledger, sample.finding_ids)
    print(f"复核：taizhang sample --redraw {sample_id}")
    return EXIT_OK


def _redraw(ledger: Ledger, sample_id: str) -> int:
    sample = ledger.sample(sample_id)
    again = tuple(ledger.redraw(sample_id))
    if again == sample.finding_ids:
        print(
            f"重抽结果与记录一致：样本 {sample_id}，种子 {sample.seed}，"
            f"{len(again)} 个问题。"
        )
        return EXIT_OK

    print(f"重抽结果与记录不一致：样本 {sample_id}，种子 {sample.seed}。")
    print("记录的样本：")
    _print_sample(ledger, sample.finding_ids)
    print("重抽的样本：")
    _print_sample(ledger, again)
    return EXIT_FOUND


def _list_samples(ledger: Ledger) -> int:
    samples = ledger.samples()
    if not samples:
        print("还没有抽样记录。")
        return EXIT_OK

    tz = ledger.campaign.tz
    _print_table(
        ("抽样编号", "抽取时间", "抽取人", "单位", "种子", "每层", "问题数"),
        [
            (
                s.sample_id,
                s.drawn_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                s.operator,
                s.operator_unit,
                str(s.seed),
                str(s.per_stratum),
                str(len(s.finding_ids)),
            )
            for s in samples
        ],
    )
    return EXIT_OK


def _print_sample(ledger: Ledger, finding_ids: Sequence[str]) -> None:
    campaign = ledger.campaign
    rows = []
    for finding_id in finding_ids:
        state = ledger.row(finding_id)
        category = campaign.category(state.category).name
        rows.append((state.reporting_unit, category, state.statement, finding_id))
    _print_table(
        ("单位", "问题类型", "问题表述", "问题编号"),
        rows,
        (None, None, STATEMENT_WIDTH),
    )


def _undo(ledger: Ledger, operator: Operator, finding_id: str) -> int:
    finding_id = finding_id.strip()
    version = ledger.row(finding_id).version
    ledger.undo_last(operator, finding_id, version)
    undo = ledger.history(finding_id)[-1]
    log.info("%s undid version %d of %s", operator.name, version, finding_id)

    restored = undo.details["restored"]
    what = event_name(undo.details["undone_kind"])
    print(
        f"已撤销第 {undo.details['undone_version']} 步（{what}），"
        f"恢复为：{restored_text(restored) or '（无变化）'}。"
    )
    return EXIT_OK


# The widest a statement may print in a table before it is cut short with an ellipsis;
# a sentence of ours, which may quote an operator's reason, gets twice as much.
STATEMENT_WIDTH = 40
SENTENCE_WIDTH = 80


def _cells(text: str) -> int:
    """Count terminal cells: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _printable(text: str) -> str:
    """Make stored text safe to print: a control character could restyle the terminal.

    New text cannot hold one (the ledger refuses them), but an older store may.
    """
    if forbidden_character(text) is None:
        return text
    return "".join(
        "\ufffd" if char not in "\n\t" and forbidden_character(char) else char
        for char in text
    )


def _fit(text: str, limit: int | None) -> str:
    text = " ".join(_printable(text).split())
    if limit is None or _cells(text) <= limit:
        return text
    kept, used = [], 0
    for ch in text:
        used += _cells(ch)
        if used > limit - 1:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def _print_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    limits: Sequence[int | None] = (),
) -> None:
    """Print rows under headers, each column padded to its widest cell.

    `limits` gives each column's widest cell in terminal cells (None: no limit).
    """
    limits = [*limits, *[None] * (len(headers) - len(limits))]
    lines = [list(headers)]
    lines += [[_fit(cell, limit) for cell, limit in zip(row, limits)] for row in rows]
    widths = [max(_cells(line[n]) for line in lines) for n in range(len(headers))]
    for line in lines:
        padded = (cell + " " * (w - _cells(cell)) for cell, w in zip(line, widths))
        print("  ".join(padded).rstrip())


@contextmanager
def _opened(
    campaign: Campaign, store: Path, clock: Clock | None = None, key: str | None = None
) -> Iterator[Ledger]:
    """Open the ledger for a `with` block and close it on every way out."""
    try:
        ledger = open_ledger(campaign, store, clock, key=key)
    except (PersistenceError, sqlite3.Error, OSError) as error:
        raise StoreError(store) from error
    try:
        yield ledger
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreError(store) from error
    finally:
        ledger.close()


def _key(args: argparse.Namespace) -> str | None:
    """Return the store key: from --key-file, else TAIZHANG_KEY, else None (plain)."""
    if args.key_file is not None:
        return read_key_file(args.key_file.expanduser())
    text = os.environ.get(KEY_ENV, "")
    return checked_key(text) if text.strip() else None


def _operator(args: argparse.Namespace, campaign: Campaign) -> Operator:
    name = args.operator
    if name is None:
        name = os.environ.get(OPERATOR_ENV) or _login_name()
    # The name goes into every event: the same rules as any recorded text.
    name = required_text("operator", name)
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


def _log_path() -> Path:
    """Return the log file: taizhang.log in the user's data folder, never beside
    a store, whose folder may be anyone's (`--store /etc/passwd`)."""
    return default_store_path().parent / "taizhang.log"


def _log_to(path: Path | None) -> tuple[logging.Handler, Path | None]:
    """Make the handler for this run's log records, and the file it writes.

    When no file can be written the records are dropped rather than printed:
    the operator's screen only ever gets the one Chinese line.
    """
    if path is not None:
        try:
            # The log quotes refused values (units, dates, ids): owner only.
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
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


def _drop_output() -> None:
    """Send what is left of stdout nowhere, so exiting does not fail on it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _say(message: str) -> None:
    print(message, file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
