"""The taizhang command line: open the ledger screen, or do its jobs without one."""

from __future__ import annotations

import argparse
import errno
import getpass
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from eventsourcing.persistence import PersistenceError
from rich import box
from rich.console import Console
from rich.table import Table

from domain.campaign import Campaign, CampaignError, load_campaign
from domain.clock import Clock, SetClock
from domain.coverage import Screened
from domain.dates import DayParseError, format_day, parse_day, parse_moment
from domain.errors import (
    AlreadyImportedError,
    DateOutsideCampaignError,
    LedgerError,
    NothingToImportError,
    NotPermittedError,
    OperatorNotRegisteredError,
    OperatorRetiredError,
    RowsRefusedError,
    SealLeavesWorkError,
    UnknownValueError,
    WorkCancelledError,
)
from domain.finding import name_text
from domain.importing import ImportSheet
from domain.keys import KEY_ENV, checked_key, read_key_file, write_key_file
from domain.ledger import Ledger, Operator, default_store_path, open_ledger
from domain.office import COUNTED
from domain.progress import Progress
from domain.staff import Act, Role
from domain.state import SHORT_ID, Status
from domain.store import mask_url
from domain.text import forbidden_character
from domain.view import LedgerQuery
from exporters.destination import ExportError, check_destination
from exporters.ledger_import import ImportFileError, read_ledger
from exporters.masking import mask_sheet
from exporters.week_report import LATE_KINDS, with_differences
from tui.bars import bar
from tui.config import DB_ENV, ConfigError, StoreChoice, choose_store
from tui.wording import (
    EVENTS,
    FIELD_NAMES,
    MATCH_WORDS,
    PATH_LIMIT,
    PROBLEM_NAMES,
    PROBLEM_WORDS,
    REBUILD_STOPPED,
    REFUSAL_WORDS,
    ROWS,
    SIGNAL_NAMES,
    catching_up,
    change_value,
    checking,
    command_line_refusal,
    config_problem,
    entered_late,
    entered_late_then,
    event_name,
    explain,
    export_name,
    exporting,
    field_name,
    handed_in_text,
    import_done,
    import_notes,
    import_problems,
    import_summary,
    importing,
    late_note,
    moment_words,
    origin_text,
    problem_text,
    progress_count,
    quoted,
    reading,
    rebuilding,
    rebuilt,
    restored_text,
    role_name,
    shortened_text,
    signal_text,
    typed_twice,
    unreadable_text,
    view_differs_text,
    withdrawn_note,
)

if TYPE_CHECKING:
    from domain.statistics import Tally
    from exporters.fingerprint import Difference

log = logging.getLogger(__name__)

# The workbook writers and checkers (openpyxl, about a tenth of a second), the
# final report and the demo filler are imported by the commands that use
# them, so that opening the ledger screen, the command most run, does not
# wait for them.

EXIT_OK = 0
EXIT_FAULT = 1
# A check that found problems, or a redraw that differs from its record.
EXIT_FOUND = 1
EXIT_REFUSED = 2
EXIT_INTERRUPTED = 130
# What a shell reports for a command whose output reader stopped (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

# The most terminal cells a listing's cell shows, about ten folded lines.
TABLE_CELL = 240

OPERATOR_ENV = "TAIZHANG_OPERATOR"
UNIT_ENV = "TAIZHANG_UNIT"


class CommandRefused(Exception):
    """A request the command line turns down; the message is already Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_output(path: Path | None) -> None:
    """Refuse, before the store is opened, a file the export could not write."""
    if path is None:
        return
    try:
        check_destination(path)
    except ExportError as error:
        raise CommandRefused(explain(error)) from None


def _add_replace(options: argparse._ActionsContainer) -> None:
    options.add_argument(
        "--replace", action="store_true", help="已有同名文件时替换它；不加则保留原文件、不导出"
    )


def _keep_existing(args: argparse.Namespace, *paths: Path | None) -> None:
    """Refuse to write over a file already there, which may have been edited since."""
    if getattr(args, "replace", False):
        return
    for path in paths:
        if path is not None and path.exists():
            raise CommandRefused(
                f"{path} 已存在，未导出：要替换它请加 --replace，或另选文件名。"
            )


class StoreError(Exception):
    """The event store could not be opened, read or written."""

    def __init__(self, store: Path | str) -> None:
        super().__init__(mask_url(store) if isinstance(store, str) else store)
        self.store = store

    def shown(self) -> str:
        return mask_url(self.store) if isinstance(self.store, str) else str(self.store)


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
        help="台账数据文件（SQLite），首次使用时自动创建（只读查询的命令不创建）；"
        "默认放在用户数据目录",
    )
    group.add_argument(
        "--db",
        default=default,
        metavar="地址",
        help=f"共用数据库地址 postgresql://用户名@主机:端口/数据库名（也可写 SQLite 文件）；"
        f"默认取环境变量 {DB_ENV}，再取配置文件中的 db，否则用本机 SQLite 文件",
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
    group.add_argument(
        "--progress",
        action="store_true",
        default=argparse.SUPPRESS if after else False,
        help="在标准错误输出上显示长时间工作（重建、导出、导入）的进度；"
        "标准错误输出是终端时总是显示",
    )


def _add_help(group: argparse._ActionsContainer) -> None:
    group.add_argument("-h", "--help", action="help", help="显示本帮助并退出")


def _command(
    commands: argparse._SubParsersAction[_Parser], name: str, **about: str
) -> argparse._ArgumentGroup:
    """Add a sub-command with its help and description; return its options group."""
    parser = commands.add_parser(name, formatter_class=_Formatter, add_help=False, **about)
    options = parser.add_argument_group("选项")
    _add_help(options)
    return options


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
        help=f"操作员所在单位，须是工作定义中的单位；默认取已登记操作员的单位，再取环境变量 "
        f"{UNIT_ENV}；都没有时界面先请你选择，为本单位办理的命令则拒绝。须写在命令之前",
    )

    commands = parser.add_subparsers(dest="command", title="可用命令", metavar="命令")
    options = _command(
        commands,
        "export",
        help="导出某单位的正式整改台账（.xlsx）",
        description="导出某单位某一周（或当前）的正式整改台账。",
    )
    options.add_argument(
        "--unit",
        dest="export_unit",
        metavar="单位",
        help="导出哪个单位的台账；默认为操作员所在单位（已登记的操作员的，或命令前 --unit 指明的）",
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
    _add_replace(options)
    options.add_argument(
        "--masked",
        action="store_true",
        help="对外脱敏版：户主姓名只留姓（王某某→王某），身份证等长号码隐去中间数字",
    )
    options.add_argument(
        "--known",
        action="store_true",
        help="与 --week 一起用：按业务日期导出该周现在所知的台账，"
        "含截止之后才录入（如事后补录）的问题",
    )
    _add_shared(options, after=True)

    options = _command(
        commands,
        "keygen",
        help="生成加密台账用的密钥文件",
        description="生成一个新的随机密钥，写入仅本人可读的新文件（不会覆盖已有文件）。"
        "之后用 --key-file 该文件（或把内容放入环境变量 "
        f"{KEY_ENV}）创建和打开加密的台账。",
    )
    options.add_argument("key_path", type=Path, metavar="文件", help="新密钥文件的路径")

    options = _command(
        commands,
        "demo",
        help="在新的数据文件中填入一套演示数据",
        description="在新的（空的）数据文件中填入一次完整的演示工作：6 个单位、"
        "各类问题和各种整改状态，时间为2022年6月1日至25日。",
    )
    options.add_argument(
        "--seed",
        type=_seed,
        default=7,
        metavar="整数",
        help="随机种子，同一种子总是生成同样的数据（默认 7）",
    )
    _add_shared(options, after=True)

    options = _command(
        commands,
        "replay",
        help="显示过去某一时刻的台账",
        description="重放记录，显示某一时刻的台账：只计入该时刻之前录入的记录。",
    )
    options.add_argument(
        "--as-of",
        required=True,
        metavar="时刻",
        help="如 2022-06-10T18:00、“2022-06-10 18:00”；只写日期表示那一天结束时",
    )
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    _add_shared(options, after=True)

    options = _command(
        commands,
        "week",
        help="某一周的按时上报与现在所知、迟报漏报和与上周比较",
        description="显示某一报送周的台账两种视角的差异，可导出带差异表的台账。",
    )
    options.add_argument("number", type=_week, metavar="周次", help="第几周")
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    options.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="文件",
        help="同时导出该单位该周的台账及差异表（.xlsx）；须同时指定 --unit",
    )
    _add_replace(options)
    _add_shared(options, after=True)

    options = _command(
        commands,
        "rebuild",
        help="重建台账视图（由记录推算出的台账表）",
        description="由全部记录重新推算台账表；记录本身不变。用于怀疑台账显示与记录不符时。"
        "在一个事务中完成：中途按 Ctrl+C 中断的，台账视图保持原样。",
    )
    _add_shared(options, after=True)
    _add_import_command(commands)
    _add_inspection_commands(commands)
    _add_report_commands(commands)
    _add_statistics_commands(commands)
    _add_staff_commands(commands)
    _add_bundle_commands(commands)
    return parser


def _add_statistics_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add the figures of the ledger and the final summary export."""
    options = _command(
        commands,
        "stats",
        help="统计：分类、单位、责任单位、逾期、按时完成率、每周新增与销号",
        description="按问题类型、问题性质、状态、单位和责任单位统计问题，列出逾期问题、"
        "按时完成率和每周新增与销号；可按某一周结束时上报的情况统计。",
    )
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    options.add_argument(
        "--week",
        type=_week,
        metavar="周次",
        help="按该周结束时已录入的情况、以该周最后一天统计；不写则统计当前",
    )
    _add_shared(options, after=True)

    options = _command(
        commands,
        "final",
        help="导出终版台账（含统计、汇总）和总结数据（Markdown）",
        description="总结验收阶段导出某单位的终版整改台账，附统计表和汇总表，"
        "并写出同样数字的 Markdown 总结，供整改报告引用。",
    )
    options.add_argument(
        "--unit", dest="command_unit", metavar="单位", help="哪个单位；默认为操作员所在单位"
    )
    options.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="文件",
        help="终版台账文件，须以 .xlsx 结尾；默认“整改台账-单位-终版.xlsx”",
    )
    options.add_argument(
        "--markdown",
        type=Path,
        metavar="文件",
        help="总结数据文件，须以 .md 结尾；默认与台账同名、放在同一文件夹",
    )
    _add_replace(options)
    _add_shared(options, after=True)

    options = _command(
        commands,
        "screening",
        help="登记某单位某项排查内容的排查情况",
        description="登记某单位排查了某项排查内容：排查户数、发现问题数（没有发现填 0）。"
        "排查日期默认为今天（补录时用 --on 指明）；同一项可多次登记，户数和问题数累加。",
    )
    options.add_argument(
        "--unit", dest="command_unit", metavar="单位", help="哪个单位；默认为操作员所在单位"
    )
    options.add_argument(
        "--category", required=True, metavar="问题类型", help="如 住房保障 或 农村危房改造"
    )
    options.add_argument(
        "--item", type=_count, required=True, metavar="N", help="该类第几项排查内容"
    )
    options.add_argument(
        "--households", type=_count, required=True, metavar="户数", help="排查户数"
    )
    options.add_argument(
        "--found", type=_count, required=True, metavar="个数", help="发现问题数，没有填 0"
    )
    options.add_argument(
        "--on", metavar="日期", help="排查日期，补录纸质材料时填写；默认为今天"
    )
    _add_shared(options, after=True)

    options = _command(
        commands,
        "undo-screening",
        help="撤销本人最近一次登记的排查情况",
        description="撤销操作员本人为该单位登记的最近一次排查情况（如户数录错、重复登记），"
        "覆盖情况不再计入；登记和撤销都留在记录中。再次撤销则撤回更早的一次。",
    )
    options.add_argument(
        "--unit", dest="command_unit", metavar="单位", help="哪个单位；默认为操作员所在单位"
    )
    _add_shared(options, after=True)

    options = _command(
        commands,
        "coverage",
        help="各单位排查内容覆盖情况",
        description="列出各单位已排查的排查内容项数；只看一个单位时列出其未排查的各项。"
        "登记了排查情况，或在该项下登记了问题，即算已排查。",
    )
    options.add_argument("--unit", dest="command_unit", metavar="单位", help="只看该单位")
    _add_shared(options, after=True)


def _add_import_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add bringing a hand-kept ledger workbook in."""
    options = _command(
        commands,
        "import",
        help="导入手工填写的整改台账（.xlsx）",
        description="读取按正式整改台账格式（或相近格式）填写的 .xlsx，先逐行检查并列出"
        "不能导入的行；全部无误才登记为问题（来源：导入），否则什么也不写入。"
        "同一文件不会导入两次。有不能导入的行、文件无法读取或已导入过时，退出码为 2。",
    )
    options.add_argument("file", type=Path, metavar="文件", help="要导入的台账文件（.xlsx）")
    options.add_argument(
        "--unit",
        dest="import_unit",
        default="",
        metavar="单位",
        help="导入到哪个单位；默认取表中“单位（盖章）：……”一行，"
        "表中没有时取命令前的 --unit（或已登记的单位操作员本人的单位）",
    )
    options.add_argument(
        "--sheet",
        default="",
        metavar="工作表",
        help="读取哪张工作表；默认取第一张有台账表头的工作表",
    )
    options.add_argument(
        "--on",
        metavar="日期",
        help="表中没有表头日期（年 月 日一行）时，这张表所报的日期：没有“发现日期”一列时，"
        "问题的发现日期按它推算（不晚于各自的完成时限）；默认为今天，但不晚于本次工作结束",
    )
    options.add_argument(
        "--dry-run", action="store_true", help="只检查并列出报告，不写入任何内容"
    )
    options.add_argument(
        "--only-good", action="store_true", help="只导入无误的行，不能导入的行留在报告中"
    )
    _add_shared(options, after=True)


def _add_bundle_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add `bundle export/import`: offline units hand their records to the office."""
    bundle = commands.add_parser(
        "bundle",
        help="离线单位：导出单位数据包，或由办公室导入",
        description="不连共用数据库的单位，把本机数据文件中的全部记录导出为一个数据包，"
        "交给办公室导入。数据包带校验摘要，导出后被改动的会被拒绝；重复导入不会重复记录；"
        "导入的记录保留原来的录入时间和操作员。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = bundle.add_argument_group("选项")
    _add_help(options)
    jobs = bundle.add_subparsers(
        dest="bundle_command", title="操作", metavar="操作", required=True
    )
    export = jobs.add_parser(
        "export", help="导出本单位的数据包", description="导出本单位的数据包。",
        formatter_class=_Formatter, add_help=False,
    )
    options = export.add_argument_group("选项")
    _add_help(options)
    options.add_argument("--unit", dest="bundle_unit", metavar="单位",
                         help="哪个单位的数据包；默认为操作员所在单位")
    options.add_argument("-o", "--output", type=Path, metavar="文件",
                         help="数据包文件；默认在当前文件夹生成“单位数据包-单位-日期时间.tzb”")
    _add_replace(options)
    _add_shared(options, after=True)
    load = jobs.add_parser(
        "import", help="把单位数据包导入本库（办公室）",
        description="把一个或多个单位数据包导入本库。", formatter_class=_Formatter,
        add_help=False,
    )
    options = load.add_argument_group("选项")
    _add_help(options)
    options.add_argument("files", nargs="+", type=Path, metavar="文件", help="数据包文件")
    _add_shared(options, after=True)


def _add_staff_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    """Add `operator add/set/retire/list`: the register the office keeps."""
    staff = commands.add_parser(
        "operator",
        help="登记、变更、停用操作员，或列出操作员",
        description="操作员名单由领导小组办公室管理，每次变动都记录在案。"
        "登记了操作员之后，单位操作员只能办理本单位的问题，验收结果由调研指导组记录。"
        "第一位登记的须是办公室角色。",
        formatter_class=_Formatter,
        add_help=False,
    )
    options = staff.add_argument_group("选项")
    _add_help(options)
    jobs = staff.add_subparsers(
        dest="staff_command", title="操作", metavar="操作", required=True
    )
    roles = "、".join(role.value for role in Role)
    for name, summary in (
        ("add", "登记操作员（或让已停用的操作员复岗）"),
        ("set", "变更操作员的单位或角色"),
        ("retire", "停用操作员"),
        ("list", "列出全部操作员"),
    ):
        job = jobs.add_parser(
            name, help=summary, description=summary, formatter_class=_Formatter,
            add_help=False,
        )
        options = job.add_argument_group("选项")
        _add_help(options)
        if name != "list":
            options.add_argument("name", metavar="姓名", help="操作员姓名")
        if name in ("add", "set"):
            options.add_argument(
                "--unit", dest="staff_unit", required=name == "add", metavar="单位",
                help="所在单位，须是工作定义中的单位",
            )
            options.add_argument(
                "--role", required=name == "add", metavar="角色",
                help=f"角色：{roles}",
            )
        _add_shared(options, after=True)


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
        "总结验收阶段，由单位主要负责同志签字封存终版台账；此后只能记录验收结果，"
        "验收未通过的问题还可整改，验收抽查新发现的问题还可登记。",
    )
    options.add_argument("--signer", required=True, metavar="姓名", help="签字人")
    options.add_argument("--unit", dest="command_unit", metavar="单位",
                         help="封存哪个单位；默认为操作员所在单位")
    options.add_argument("--force", action="store_true",
                         help="尚有问题未完成整改或有周次未报送时仍然封存")

    command("reports", "各单位的报送与封存情况", "列出每个单位已报送、应报未报的周次及终版台账封存情况。")

    options = command(
        "office", "办公室汇总：各单位问题、各周报送、逾期问题",
        "汇总全部单位：各状态问题数、逾期数、各周是否报送、封存情况，并按单位列出逾期问题；"
        "可导出汇总台账（汇总表、各周报送、逾期问题、按责任单位统计，以及每个单位一张正式台账）。",
    )
    options.add_argument("--week", type=_week, metavar="周次",
                         help="按该周结束时已录入的情况汇总；不写则为当前")
    options.add_argument("-o", "--output", type=Path, metavar="文件",
                         help="同时导出汇总台账（.xlsx）")
    _add_replace(options)

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
        options = _command(
            commands,
            name,
            help=summary,
            description=description,
        )
        options.add_argument(
            "--unit",
            dest="filter_unit",
            default="",
            metavar="单位",
            help="只看这个单位；默认看全部单位",
        )
        _add_shared(options, after=True)

    options = _command(
        commands,
        "sample",
        help="随机抽取待验收问题，或复核一次抽样",
        description="按单位和问题类型分层，从待验收的问题中随机抽取验收样本，"
        "并记录种子，任何人都可以用 --redraw 重抽核对。",
    )
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

    options = _command(
        commands,
        "undo",
        help="撤销自己在某个问题上记录的最近一步",
        description="撤销操作员本人在该问题上记录的最近一步；撤销本身也留在记录中。"
        "登记问题不能撤销（请用作废），撤销也不能再撤销。",
    )
    options.add_argument("finding_id", metavar="问题编号",
                         help="要撤销的问题的编号（问题页标题中的“编号”，或写全）")
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
    for name, value in vars(args).items():
        if name.endswith("unit") and isinstance(value, str):
            setattr(args, name, value.strip())  # a unit pasted with a space

    root = logging.getLogger()
    level = root.level
    handler: logging.Handler = logging.NullHandler()
    root.addHandler(handler)
    log_file: Path | None = None
    try:
        root.removeHandler(handler)
        handler, log_file = _log_to(_log_path())
        root.addHandler(handler)
        if root.getEffectiveLevel() > logging.INFO:
            root.setLevel(logging.INFO)
        if args.db is not None and args.store is not None:
            raise CommandRefused("--db 与 --store 只能用一个。")
        choice = choose_store(args.db if args.db is not None else args.store)
        log.info("store %s (chosen by %s)", choice.shown(), choice.source)
        code = _run(args, choice)
        # A reader that went away (`taizhang check | head`) shows here, not at exit.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        log.info("the reader of the output closed it early")
        _drop_output()
        return EXIT_BROKEN_PIPE
    except (
        LedgerError,
        CampaignError,
        DayParseError,
        ExportError,
        ImportFileError,
    ) as error:
        log.info("refused: %r", error)
        _say(command_line_refusal(error))
        return EXIT_REFUSED
    except CommandRefused as refusal:
        log.info("refused: %s", refusal.message)
        _say(refusal.message)
        return EXIT_REFUSED
    except ConfigError as error:
        log.info("refused config %s: %s %s", error.path, error.problem, error.detail)
        _say(config_problem(error))
        return EXIT_REFUSED
    except StoreError as error:
        log.error("cannot use the store %s", error.shown(), exc_info=error.__cause__)
        if isinstance(error.store, str):
            _say(
                f"无法连接或读写数据库 {error.shown()}，请检查地址、用户名和密码、网络，"
                f"以及数据库是否在运行。{_see(log_file, error.__cause__)}"
            )
        else:
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


def _run(args: argparse.Namespace, choice: StoreChoice) -> int:
    store = choice.store
    if (
        isinstance(store, Path)
        and choice.source != "default"
        and not store.parent.is_dir()
    ):
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
    # A mistyped name would otherwise be created as an empty store and
    # answered as if the ledger were empty.
    reads_only = args.command in NEEDS_A_STORE or (
        args.command == "operator" and args.staff_command == "list"
    )
    must_exist = choice.source != "default" and reads_only
    campaign = load_campaign(args.campaign)
    operator = _operator(args, campaign)
    shown = _wants_progress(args)

    if args.command == "export":
        week: int | None = args.week
        if week is not None and week not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {week} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        if args.known and week is None:
            raise CommandRefused("--known 须与 --week 一起使用：导出哪一周现在所知的台账。")
        _check_output(args.output)
        if args.output is not None and isinstance(store, Path):
            _check_not_store(args.output, store)
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            signed = _signed_in(args, ledger, operator)
            unit = args.export_unit or _own_unit(args, ledger, signed)
            name = export_name(unit, week, masked=args.masked, known=args.known)
            target = args.output or Path(name)
            _keep_existing(args, target)
            return _export(
                ledger, unit, week, target, masked=args.masked, known=args.known, shown=shown
            )

    if args.command == "bundle":
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            return _bundle(args, ledger, _signed_in(args, ledger, operator))

    if args.command == "operator":
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            return _staff(args, ledger, _signed_in(args, ledger, operator))

    if args.command == "replay":
        moment = parse_moment(args.as_of, year=campaign.year, tz=campaign.tz)
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            _signed_in(args, ledger, operator)  # a unit the register denies is refused
            return _replay(ledger, moment, args.command_unit or "")

    if args.command == "week":
        if args.number not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {args.number} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        _check_output(args.output)
        _keep_existing(args, args.output)
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            signed = _signed_in(args, ledger, operator)
            unit = args.command_unit or ""
            if args.output is not None and not unit:
                # A sheet is one unit's: the registered operator's own, as export takes.
                unit = _own_unit(args, ledger, signed)
            return _week_report(
                ledger, args.number, unit, args.output, shown
            )

    if args.command == "demo":
        if not isinstance(store, Path):
            raise CommandRefused(
                "演示数据只能填入新的 SQLite 数据文件，不能填入共用数据库；"
                "请用 --db 指定一个还不存在的文件。"
            )
        return _demo(campaign, store, args.seed, key)

    if args.command == "import":
        # The file is read before the store is opened: a bad file touches nothing.
        path = args.file.expanduser()
        with _progress_line(shown, reading(path.name), ROWS) as progress:
            sheet = read_ledger(
                path, year=campaign.year, sheet=args.sheet, progress=progress
            )
        if args.on:
            sheet = sheet.dated(parse_day(args.on, year=campaign.year))
        dry_run = args.dry_run
        with _import_ledger(campaign, store, dry_run, key=key, shown=shown) as ledger:
            return _import(ledger, operator, sheet, args, shown)

    if args.command == "rebuild":
        # Opened without catching up: the rebuild folds the whole log anyway.
        with _opened(campaign, store, key=key, level=False, must_exist=must_exist) as ledger:
            return _rebuild(ledger, shown)

    if args.command in ("check", "signals", "sample", "undo"):
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            return _inspect(args, ledger, _signed_in(args, ledger, operator))

    if args.command == "office":
        if args.week is not None and args.week not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {args.week} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        _check_output(args.output)
        _keep_existing(args, args.output)
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            return _office(ledger, args.week, args.output, shown)

    if args.command in ("submit", "seal", "reports", "verify"):
        with _opened(
            campaign,
            store,
            key=key,
            shown=shown,
            must_exist=must_exist,
            damaged_too=args.command == "verify",
        ) as ledger:
            return _report(args, ledger, _signed_in(args, ledger, operator))

    if args.command in ("stats", "final", "screening", "undo-screening", "coverage"):
        with _opened(campaign, store, key=key, shown=shown, must_exist=must_exist) as ledger:
            return _figures(args, ledger, _signed_in(args, ledger, operator))

    # Textual loads only when the screen is really wanted.
    from tui.app import TaizhangApp

    # The app brings the view level itself, with a bar when it is far behind.
    with _opened(campaign, store, key=key, level=False) as ledger:
        chosen: Operator | None = operator
        if ledger.operators():
            # With a register, a name given is signed in strictly; without
            # one, the start screen asks who is at the keyboard.
            given = args.operator or os.environ.get(OPERATOR_ENV, "")
            chosen = ledger.sign_in(given, _given_unit(args)) if given.strip() else None
        elif not _given_unit(args):
            # Nobody registered and no unit named: the start screen asks which
            # unit, rather than signing records with the first township's.
            chosen = None
        if chosen is None:
            log.info("opening the start screen to choose an operator or a unit")
        else:
            log.info("opening the ledger screen for %s (%s)", chosen.name, chosen.unit)
        app = TaizhangApp(ledger, chosen, name=operator.name)
        app.run()
    if isinstance(app.refusal, WorkCancelledError):
        _say(explain(app.refusal))
        return EXIT_INTERRUPTED
    if app.refusal is not None:
        raise app.refusal
    if app.return_code:
        log.error("the ledger screen stopped with code %s", app.return_code)
        _say("台账界面意外退出，详情已写入日志。")
        return EXIT_FAULT
    return EXIT_OK


# Commands that only read a ledger, or change one that has findings: run on a
# named store that does not exist, they refuse rather than create it.
NEEDS_A_STORE = frozenset(
    {
        "export", "replay", "week", "office", "submit", "seal", "reports", "verify",
        "stats", "final", "coverage", "check", "signals", "sample", "undo",
        "undo-screening", "rebuild",
    }
)

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
    ledger: Ledger,
    unit: str,
    week: int | None,
    target: Path,
    *,
    masked: bool = False,
    known: bool = False,
    shown: bool = False,
) -> int:
    from exporters.official import write_official_sheet

    problems = ledger.check(unit)
    sheet = ledger.official_sheet(unit, week, known=known)
    if masked:
        sheet = mask_sheet(sheet)
    with _progress_line(shown, exporting(target.name), ROWS) as progress:
        write_official_sheet(sheet, target, progress=progress)
    log.info("exported %s week %s to %s: %d rows", unit, week, target, len(sheet.rows))

    if week is None:
        when = f"当前（{format_day(sheet.report_date)}）"
    elif known:
        when = f"第 {week} 周现在所知（业务日期截至{format_day(sheet.report_date)}）"
    else:
        when = f"第 {week} 周（截至{format_day(sheet.report_date)}）"
    kind = (
        "（对外脱敏版：登记的户主姓名和证件号码等长号码已隐去；只写在问题表述等文字里、"
        "未登记为户主的人名认不出来，分享前请核对）"
        if masked
        else ""
    )
    print(f"已导出 {target}{kind}：{unit}，{when}，共 {len(sheet.rows)} 行。")
    if week is not None and not known:
        _say_entered_late(ledger, unit, week, "加 --known 可导出该周现在所知的台账")
    if problems:
        print(
            f"导出前检查：当前台账有 {len(problems)} 处验收时可能被指出的问题，"
            f"运行 taizhang check --unit {unit} 查看。"
        )
    return EXIT_OK


def _import(
    ledger: Ledger,
    operator: Operator,
    sheet: ImportSheet,
    args: argparse.Namespace,
    shown: bool,
) -> int:
    """Check a sheet, print the report, and import it unless refused."""
    # A sheet without a unit line is the unit the operator named for themselves.
    unit = args.import_unit or ("" if sheet.unit.strip() else _given_unit(args))
    operator = _of_unit(args, ledger, operator, args.import_unit or sheet.unit.strip())
    with _progress_line(shown, checking(sheet.file_name), ROWS) as progress:
        result = ledger.check_import(operator, sheet, unit=unit, progress=progress)
    previous = result.previous
    if previous is not None:
        # Its rows would all repeat recorded findings: the refusal says enough.
        raise AlreadyImportedError(
            sheet.file_name,
            previous.file_name,
            previous.at,
            previous.operator,
            previous.findings,
        )

    print(import_summary(result))
    problems = import_problems(result)
    if problems:
        print("未导入的行：")
        _print_table(("行号", "列", "原因"), problems)
    for note in import_notes(result):
        print(f"说明：{note}")
    if args.dry_run:
        if result.refused and not args.only_good:
            raise RowsRefusedError(len(result.refused), len(result.rows))
        if not result.good:
            raise NothingToImportError(sheet.file_name)
        print(f"只做了检查，未写入；可以导入 {len(result.good)} 行。")
        return EXIT_OK

    try:
        with _progress_line(shown, importing(sheet.file_name), ROWS) as progress:
            done = ledger.import_sheet(
                operator,
                sheet,
                unit=unit,
                only_good=args.only_good,
                progress=progress,
            )
    except KeyboardInterrupt:
        # The rows are written in one transaction at the end: a Ctrl+C just
        # after it leaves them all stored, and must not be reported as a stop.
        previous = ledger.imported(sheet)
        if previous is None:
            raise
        log.info("interrupted after importing %s", sheet.file_name)
        print(f"中断前导入已完成：{sheet.file_name} 的 {previous.findings} 条问题已写入。")
        return EXIT_OK
    log.info("imported %d rows of %s", len(done.good), sheet.file_name)
    print(import_done(done))
    return EXIT_OK


def _table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print an aligned table; Chinese characters count two columns.

    A cell is cut at TABLE_CELL cells: a statement may hold a spreadsheet
    cell's 32,767 characters, thousands of lines folded.
    """
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_fit(cell, TABLE_CELL) for cell in row))
    Console(width=max(100, shutil.get_terminal_size().columns)).print(table)


def _replay(ledger: Ledger, moment: datetime, unit: str) -> int:
    ledger.check_past(moment)
    if unit:
        ledger.official_sheet(unit)  # refuse an unknown unit in Chinese
    rows = ledger.rows_as_of(moment.astimezone(UTC), LedgerQuery(unit=unit))
    day = (moment - timedelta(microseconds=1)).date()
    labels = {c.key: c.label for c in ledger.campaign.categories}
    withdrawn = sum(s.status is Status.WITHDRAWN for s in rows)
    among = f"（其中已作废 {withdrawn} 条）" if withdrawn else ""
    _table(
        f"{moment_words(moment)}的台账（{unit or '全部单位'}）：{len(rows)} 条{among}",
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
    late = ledger.entered_after(unit, moment)
    if late:
        print(
            "此台账按当时已录入的记录生成；"
            + entered_late_then(late, "各周现在所知的台账：taizhang week 周次")
        )
    return EXIT_OK


def _say_entered_late(ledger: Ledger, unit: str, week: int, how: str) -> None:
    """Print how many findings a week's sheet as reported leaves out, if any."""
    late = ledger.entered_after(unit, ledger.week_cutoff(week))
    if late:
        print(entered_late(week, late, how))


def _week_report(
    ledger: Ledger, week: int, unit: str, target: Path | None, shown: bool = False
) -> int:
    view = ledger.week_view(week, unit)
    print(
        f"第 {week} 周（{format_day(view.first_day)}—{format_day(view.last_day)}），"
        f"{unit or '全部单位'}：按时上报 {len(view.reported)} 条"
        f"{withdrawn_note(view.reported.values())}，现在所知 {len(view.known)} 条"
        f"{withdrawn_note(view.known.values())}。"
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
         "；".join(
             f"{field_name(c.field)}：{change_value(c.before)} → {change_value(c.after)}"
             for c in fields
         ))
        for s, fields in d.changed
    ]
    _table(f"与上周比较 {len(changes)} 项", ("变化", "单位", "问题表述", "内容"), changes)
    if target is not None:
        from exporters.official import write_official_sheet

        sheet = with_differences(ledger.official_sheet(unit, week), view, FIELD_NAMES)
        with _progress_line(shown, exporting(target.name), ROWS) as progress:
            write_official_sheet(sheet, target, progress=progress)
        print(f"已导出 {target}：{unit}，第 {week} 周，共 {len(sheet.rows)} 行，含差异表。")
        _say_entered_late(ledger, unit, week, "export --week 加 --known 可导出含它们的台账")
    return EXIT_OK


def _demo(campaign: Campaign, store: Path, seed: int, key: str | None) -> int:
    """Fill a fresh store with the demo campaign, all or nothing.

    The events go into a file beside the store, which takes the store's name
    only when complete and only if no store with events appeared meanwhile:
    an interrupted or concurrent demo leaves no half-filled store behind.
    """
    from domain.demo import fill_demo

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


def _rebuild(ledger: Ledger, shown: bool) -> int:
    """Empty the ledger view and fold the whole log into it again."""
    try:
        with _progress_line(shown, rebuilding(), EVENTS) as progress:
            count = ledger.rebuild(progress=progress)
    except KeyboardInterrupt:
        # The refold is one transaction: rolled back, the view is as it was.
        log.info("rebuild interrupted; the view is left as it was")
        _say(REBUILD_STOPPED)
        return EXIT_INTERRUPTED
    ledger.check_campaign_fits()
    findings = len(ledger.rows())
    log.info("rebuilt the ledger view: %d events, %d findings", count, findings)
    print(rebuilt(count, findings))
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
    if args.command in ("submit", "seal"):
        unit = getattr(args, "command_unit", None) or _own_unit(args, ledger, operator)
    if args.command == "submit":
        fingerprint = ledger.submit_week(operator, unit, args.week)
        print(f"已报送 {unit} 第 {args.week} 周台账，指纹 {fingerprint}。")
        note = late_note(ledger.week_view(args.week, unit).late)
        if note:
            print(note)
        return EXIT_OK
    if args.command == "seal":
        left: SealLeavesWorkError | None = None
        try:
            fingerprint = ledger.seal(operator, unit, args.signer)
        except SealLeavesWorkError as error:
            if not args.force:
                raise CommandRefused(f"{explain(error)}确需现在封存，请加 --force。") from None
            left = error
            fingerprint = ledger.seal(operator, unit, args.signer, force=True)
        print(f"{unit} 终版台账已由 {args.signer.strip()} 签字封存，指纹 {fingerprint}。")
        if left is not None:
            # Forced: what it was sealed over stays said.
            print(f"已按 --force 封存：{explain(left)}")
        return EXIT_OK
    if args.command == "reports":
        _table(
            "各单位报送情况",
            ("单位", "已报送", "应报未报", "终版台账"),
            [
                (
                    r.unit,
                    handed_in_text(r.handed_in),
                    "、".join(f"第{w}周" for w in r.missing) or "—",
                    f"{r.sealed_by} 签字封存" if r.sealed_by else "未封存",
                )
                for r in ledger.unit_reports()
                # The office and the team receive the reports; listed only if they sealed.
                if r.unit not in ledger.campaign.units.receiving or r.submitted or r.sealed_by
            ],
        )
        return EXIT_OK
    return _verify(ledger, args.against)


def _figures(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> int:
    campaign = ledger.campaign
    if args.command == "stats":
        if args.week is not None and args.week not in campaign.report_weeks:
            first, last = campaign.report_weeks[0], campaign.report_weeks[-1]
            raise CommandRefused(
                f"本次工作没有第 {args.week} 周，报送周次为第 {first} 至第 {last} 周。"
            )
        return _stats(ledger, args.command_unit or "", args.week)

    if args.command == "coverage":
        return _coverage(ledger, args.command_unit or "")
    unit = args.command_unit or _own_unit(args, ledger, operator)
    if args.command == "screening":
        on = parse_day(args.on, year=ledger.campaign.year) if args.on else None
        try:
            same = ledger.record_screening(
                operator,
                unit,
                args.category,
                args.item,
                households=args.households,
                problems_found=args.found,
                on=on,
            )
        except DateOutsideCampaignError as outside:
            if on is not None:
                raise
            raise CommandRefused(f"{explain(outside)}补录时请用 --on 写明排查日期。") from None
        day = f"（排查日期 {format_day(on or ledger.today())}）"
        print(
            f"已登记 {unit} 的排查情况：{args.category} 第 {args.item} 项，"
            f"排查 {args.households} 户，发现问题 {args.found} 个{day}。"
        )
        if same is not None:
            print(typed_twice(same.on, "可用 undo-screening "))
        return EXIT_OK

    if args.command == "undo-screening":
        undone = ledger.undo_screening(operator, unit)
        name = ledger.campaign.category(undone.category).name
        print(
            f"已撤销 {unit} 的排查登记：{name} 第 {undone.check_item} 项，"
            f"排查 {undone.households} 户，发现问题 {undone.problems_found} 个"
            f"（排查日期 {format_day(undone.on)}）。"
        )
        return EXIT_OK

    from exporters.final_report import (
        check_markdown_destination,
        final_markdown,
        final_sheet,
        markdown_path,
        write_markdown,
    )
    from exporters.official import write_official_sheet

    target: Path = args.output or Path(f"整改台账-{unit}-终版.xlsx")
    summary: Path = args.markdown or markdown_path(target)
    # Both files are checked before either is written.
    check_destination(target)
    check_markdown_destination(summary)
    _keep_existing(args, target, summary)
    report = ledger.final_report(unit)
    sheet = final_sheet(report)
    shown = _wants_progress(args)
    with _progress_line(shown, exporting(target.name), ROWS) as progress:
        write_official_sheet(sheet, target, progress=progress)
    write_markdown(final_markdown(report), summary)
    log.info("exported the final ledger of %s to %s and %s", unit, target, summary)

    print(
        f"已导出 {target}：{unit} 终版台账，共 {len(sheet.rows)} 行，"
        f"附统计表和汇总表；总结数据 {summary}。"
    )
    return EXIT_OK


def _coverage(ledger: Ledger, unit: str) -> int:
    rows = ledger.coverage(unit)
    names = {c.key: c.name for c in ledger.campaign.categories}
    _table(
        "排查内容覆盖",
        ("单位", "已排查", "其中登记了排查", "未排查", "发现数与台账不符"),
        [
            (
                r.unit,
                f"{r.screened}/{len(r.items)}",
                str(sum(1 for i in r.items if i.screened is Screened.RECORDED)),
                str(len(r.items) - r.screened),
                str(len(r.disagreeing)),
            )
            for r in rows
        ],
    )
    if unit:
        missing = [i for i in rows[0].items if i.screened is Screened.NOT]
        _table(
            f"{unit} 未排查的排查内容 {len(missing)} 项",
            ("问题类型", "项", "排查内容"),
            [(names[i.category], str(i.check_item), i.item) for i in missing],
        )
        differing = rows[0].disagreeing
        if differing:
            _table(
                f"{unit} 排查发现的问题数与台账不一致 {len(differing)} 项",
                ("问题类型", "项", "排查发现", "台账问题", "排查内容"),
                [
                    (
                        names[i.category], str(i.check_item), str(i.problems_found),
                        str(i.findings), i.item,
                    )
                    for i in differing
                ],
            )  # fmt: skip
            print("排查发现多于台账：可能有问题没有登记；台账多于排查发现：如验收抽查所得，请核对排查登记。")
    return EXIT_OK


def _stats(ledger: Ledger, unit: str, week: int | None) -> int:
    from exporters.final_report import NO_RESPONSIBLE, rate_text

    stats = ledger.statistics(unit, week)
    names = {c.key: c.label for c in ledger.campaign.categories}
    when = "当前" if week is None else f"第 {week} 周结束时上报的情况"
    t = stats.total
    print(
        f"{unit or '全部单位'}，{when}，以 {format_day(stats.day)} 计："
        f"发现问题 {t.found} 个，已完成整改 {t.rectified} 个（已销号 {t.closed} 个），"
        f"尚未完成 {t.still_open} 个，逾期 {t.overdue} 个，已作废 {t.withdrawn} 个；"
        f"按时完成率 {rate_text(t)}（按时完成 {t.on_time} 个，应完成 {t.due} 个）。"
    )
    statuses = [str(s) for s in Status]
    _table(
        "分类分性质统计（合计不含作废）",
        ("问题类型", "问题性质", *statuses, "合计", "逾期"),
        [
            (names.get(r.category, r.category), r.nature, *_tally_cells(r.tally))
            for r in stats.by_kind
        ]
        + [("合计", "", *_tally_cells(t))],
    )
    _table(
        "按单位统计（合计不含作废）",
        ("单位", *statuses, "合计", "逾期", "按时完成率"),
        [(r.unit, *_tally_cells(r.tally), rate_text(r.tally)) for r in stats.by_unit],
    )
    _table(
        "按责任单位统计（合计不含作废）",
        ("责任单位", *statuses, "合计", "逾期", "按时完成率"),
        [
            (r.unit or NO_RESPONSIBLE, *_tally_cells(r.tally), rate_text(r.tally))
            for r in stats.by_responsible
        ],
    )
    _table(
        f"逾期问题 {len(stats.overdue)} 个",
        ("单位", "问题类型", "问题表述", "完成时限", "逾期天数", "责任单位"),
        [
            (
                r.unit,
                names.get(r.category, r.category),
                r.statement,
                format_day(r.deadline),
                str(r.days_overdue),
                r.responsible_unit,
            )
            for r in stats.overdue
        ],
    )
    top = max((max(w.new, w.closed) for w in stats.weeks), default=0)
    _table(
        "每周新增与销号（新增按发现日期、销号按验收日期计入当周；"
        "首周之前、末周之后的计入首、末周，日期随之放宽）",
        ("周次", "起止", "新增", "", "销号", ""),
        [
            (
                f"第{w.week}周",
                f"{w.first_day:%m-%d}—{w.last_day:%m-%d}",
                str(w.new),
                bar(w.new, top, 20),
                str(w.closed),
                bar(w.closed, top, 20),
            )
            for w in stats.weeks
        ],
    )
    return EXIT_OK


def _tally_cells(tally: Tally) -> tuple[str, ...]:
    counts = [tally.count(s) for s in Status]
    return tuple(str(n) for n in (*counts, tally.found, tally.overdue))


def _office(
    ledger: Ledger, week: int | None, target: Path | None, shown: bool = False
) -> int:
    if target is None:
        overview, sheets = ledger.office_overview(week), []
    else:
        overview, sheets = ledger.consolidated(week)
    when = f"第 {week} 周结束时" if week else f"{format_day(overview.day)}"
    print(
        f"{when}：{len(overview.units)} 个单位，共 {overview.total} 个问题，"
        f"已逾期 {len(overview.overdue)} 个。"
    )
    _print_table(
        ("单位", "问题", *(str(s) for s in COUNTED), "逾期", "应报未报", "终版台账"),
        [
            (
                u.unit,
                str(u.total),
                *(str(u.count(s)) for s in COUNTED),
                str(u.overdue),
                "、".join(f"第{w}周" for w in u.missing) or "—",
                f"{u.sealed_by} 签字封存" if u.sealed_by else "未封存",
            )
            for u in overview.units
        ],
    )
    if overview.overdue:
        print()
        print("逾期问题（按单位）：")
        _print_table(
            ("单位", "问题表述", "完成时限", "责任单位", "问题编号"),
            [
                (
                    s.reporting_unit,
                    s.statement,
                    format_day(s.deadline) if s.deadline else "",
                    s.responsible_unit,
                    s.finding_id[:SHORT_ID],
                )
                for s in overview.overdue
            ],
            (None, STATEMENT_WIDTH),
        )
    if target is not None:
        from exporters.consolidated import write_consolidated

        labels = {c.key: c.label for c in ledger.campaign.categories}
        with _progress_line(shown, exporting(target.name), ROWS) as progress:
            write_consolidated(overview, sheets, labels, target, progress=progress)
        log.info("exported the consolidated ledger to %s: %d units", target, len(sheets))
        print(
            f"已导出汇总台账 {target}：汇总表、各周报送、逾期问题、按责任单位，"
            f"{len(sheets)} 个单位的台账。"
        )
    return EXIT_OK


def _verify(ledger: Ledger, files: list[Path]) -> int:
    from exporters.fingerprint import check_cells, verify_ledger
    from exporters.official import DETAIL_TITLE, LEDGER_TITLE

    everything = ledger.submissions()
    submitted = [s for s in everything if s.fingerprint and not s.imported]
    report = verify_ledger(ledger, files, [s.fingerprint for s in submitted])
    problem = report.problem
    if report.unreadable is not None:
        print(unreadable_text(report.head, report.unreadable))
    elif problem is None:
        print(f"记录完整：共 {report.head} 条记录，校验链逐条一致。")
    else:
        word = PROBLEM_WORDS.get(str(problem.kind), str(problem.kind))
        print(
            f"发现异常：第 {problem.position} 条记录{word}"
            f"（问题 {problem.finding_id or '—'}，第 {problem.version or '—'} 步），"
            f"共 {len(report.problems)} 处。"
        )
    if report.view_differs:
        print(view_differs_text(report.view_differs))
    if report.view_followed:
        print(shortened_text(report.view_followed, report.head))
    # The chain vouches for nothing recorded before it began: not a pass.
    adopted = report.origin is not None and report.origin.adopted > 0
    if report.origin is not None and adopted:
        print(origin_text(report.origin.started_at, report.origin.adopted))
    for submission, check in zip(submitted, report.fingerprints, strict=True):
        print(
            f"{submission.unit} 第 {submission.week} 周报送的指纹 {check.fingerprint}："
            f"{MATCH_WORDS[check.match]}"
        )
    for submission in everything:
        if submission.imported and submission.fingerprint:
            print(
                f"{submission.unit} 第 {submission.week} 周报送的指纹 "
                f"{submission.fingerprint}：来自导入的单位数据包，导入时已按该包的校验链核对"
            )
    cells_differ = False
    for checked in report.files:
        if checked.refusal is not None:
            print(f"文件 {checked.path}：{REFUSAL_WORDS.get(str(checked.refusal), str(checked.refusal))}")
            continue
        if checked.check is not None:
            print(
                f"文件 {checked.path} 的指纹 {checked.check.fingerprint}："
                f"{MATCH_WORDS[checked.check.match]}"
            )
        if not checked.matches:
            continue  # the fingerprint already failed: the log cannot rebuild it
        if report.view_differs:
            # The cells would be rebuilt from that same view, not from the log.
            cells_differ = True
            print("  台账视图与记录不一致，未逐格核对：请先运行 taizhang rebuild，再核对文件。")
            continue
        # Each file's cells right under its fingerprint, so that with several
        # files every line is read with its own.
        cells = check_cells(ledger, checked.path)
        if cells.difference is not None:
            cells_differ = True
            more = f"，共 {cells.differing} 处不同" if cells.differing > 1 else ""
            print(f"  内容与记录不符：{_difference_words(cells.difference)}{more}")
        elif cells.missing:
            cells_differ = True
            print(f"  内容与记录不符：缺少 {'、'.join(cells.missing)} 的台账表（按记录应有）")
        elif cells.unchecked:
            cells_differ = True
            print(
                "  内容无法逐格核对：文件属性中缺少单位、日期或截止时间，无法按记录重建，"
                "不能确认内容未被改动。"
            )
        elif cells.office and cells.uncompared:
            print(
                f"  内容逐格核对：与记录一致（{cells.units} 个单位的台账及汇总各表；"
                f"{'、'.join(cells.uncompared)}表和汇总表的应报未报、封存两列是某周汇总中"
                "按导出时所知的报送情况，无法按记录重建，未逐格核对）"
            )
        elif cells.office:
            print(f"  内容逐格核对：与记录一致（{cells.units} 个单位的台账及汇总各表）")
        elif cells.uncompared:
            print(
                f"  {LEDGER_TITLE}、{DETAIL_TITLE}表逐格核对：与记录一致"
                f"（{'、'.join(cells.uncompared)}表是由这些行计算的，未逐格核对）"
            )
        else:
            print("  内容逐格核对：与记录一致")
    return EXIT_OK if report.clean and not cells_differ and not adopted else 1


# What a file does to hide or add to what it shows, by Difference.kind.
_SHOWN_OTHERWISE = {
    "hidden_row": "{sheet}表第 {place} 行被隐藏（查看和打印时看不到）",
    "hidden_column": "{sheet}表 {place} 列被隐藏（查看和打印时看不到）",
    "hidden_sheet": "{sheet}表被隐藏（查看和打印时看不到）",
    "flat_row": "{sheet}表第 {place} 行被压扁（行高几乎为零，看不到）",
    "narrow_column": "{sheet}表 {place} 列被压窄（列宽几乎为零，看不到）",
    "white_text": "单元格 {place}（{sheet}表）的字是白色的（看不到）",
    "conditional": "{sheet}表加了条件格式（可能按条件把内容变色、隐去）",
    "print_area": "{sheet}表的打印区域被改为“{given}”（打印时缺少其外的行列）",
    "comment": "单元格 {place}（{sheet}表）有批注“{given}”，本软件不写批注",
    "foreign_sheet": "{sheet}表不是本软件写的",
    "sheet_title": "{sheet}表的内容是{rebuilt}的台账，表名却不是",
}


def _difference_words(found: Difference) -> str:
    """Say where a file shows otherwise than the log gives."""
    if found.kind in _SHOWN_OTHERWISE:
        given = _cell_text(found.given)
        return _SHOWN_OTHERWISE[found.kind].format(
            sheet=found.sheet, place=found.place, given=given, rebuilt=found.rebuilt
        )
    if found.kind == "format":
        return (
            f"单元格 {found.place}（{found.sheet}表）的数字格式为“{found.given}”，"
            f"本软件导出时为“{found.rebuilt}”：显示出来的可能不是单元格里的内容"
        )
    shown, wanted = _cell_text(found.given), _cell_text(found.rebuilt)
    if shown == wanted:  # they differ beyond the part shown, or in spaces
        shown, wanted = _difference_text(found.given, found.rebuilt)
    return (
        f"单元格 {found.place}（{found.sheet}表），文件中为“{shown}”，按记录应为“{wanted}”"
    )


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
            (p.unit, PROBLEM_NAMES[p.kind], problem_text(p), p.statement, p.finding_id[:SHORT_ID])
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
            (s.unit, SIGNAL_NAMES[s.kind], signal_text(s), s.statement, s.finding_id[:SHORT_ID])
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
        rows.append((state.reporting_unit, category, state.statement, finding_id[:SHORT_ID]))
    _print_table(
        ("单位", "问题类型", "问题表述", "问题编号"),
        rows,
        (None, None, STATEMENT_WIDTH),
    )


def _undo(ledger: Ledger, operator: Operator, given: str) -> int:
    finding_id = ledger.finding_numbered(given)
    version = ledger.row(finding_id).version
    ledger.undo_last(operator, finding_id, version)
    undo = ledger.history(finding_id)[-1]
    log.info("%s undid version %d of %s", operator.name, version, finding_id)

    restored = undo.details["restored"]
    what = event_name(undo.details["undone_kind"])
    print(
        f"已撤销第 {undo.details['undone_version']} 步（{what}），"
        f"恢复为：{restored_text(restored, ledger.campaign).rstrip('。') or '（无变化）'}。"
    )
    return EXIT_OK


# The widest a statement may print in a table before it is cut short with an ellipsis;
# a sentence of ours, which may quote an operator's reason, gets twice as much.
STATEMENT_WIDTH = 40
SENTENCE_WIDTH = 80


def _cells(text: str) -> int:
    """Count terminal cells: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_text(value: object) -> str:
    """Show a workbook cell's value as the sheet shows it, shortened."""
    if isinstance(value, datetime):
        value = f"{value.year}年{value.month}月{value.day}日"
    return _fit(_printable("" if value is None else str(value)), 40)


def _difference_text(given: object, rebuilt: object) -> tuple[str, str]:
    """Show two cells that print alike from where they first differ, spaces marked."""
    a, b = ("" if v is None else str(v) for v in (given, rebuilt))
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lead = "…" if start > 10 else ""
    start = max(0, start - 10)

    def show(text: str) -> str:
        return _fit(_printable(lead + text[start:].replace(" ", "␣")), 40)

    return show(a), show(b)


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
    campaign: Campaign,
    store: Path | str,
    clock: Clock | None = None,
    key: str | None = None,
    *,
    level: bool = True,
    shown: bool = False,
    must_exist: bool = False,
    damaged_too: bool = False,
) -> Iterator[Ledger]:
    """Open the ledger for a `with` block and close it on every way out.

    With `level` the view is brought level first, a progress line showing
    if `shown`; without, the block does it (a rebuild, the app). With
    `must_exist`, an embedded store file that is not there is refused instead
    of created. A log holding an event that no longer decodes is refused
    too, unless `damaged_too` (to verify it).
    """
    if must_exist and isinstance(store, Path) and not store.exists():
        raise CommandRefused(
            f"找不到数据文件：{quoted(store, PATH_LIMIT)}。请检查文件名；"
            "新建台账请不带命令运行 taizhang，或用 taizhang demo 填入演示数据。"
        )
    if must_exist and isinstance(store, Path) and store.is_file() and not store.stat().st_size:
        raise CommandRefused(
            f"数据文件 {quoted(store, PATH_LIMIT)} 是空文件，还没有台账；"
            "只查看的命令不会在其中新建台账。"
        )
    try:
        ledger = open_ledger(campaign, store, clock, key=key, level=False)
    except (PersistenceError, sqlite3.Error, OSError) as error:
        raise StoreError(store) from error
    try:
        if level:
            with _progress_line(shown, catching_up(), EVENTS) as progress:
                ledger.level_view(progress)
            if ledger.damage is not None and not damaged_too:
                raise ledger.damage
        yield ledger
    except (PersistenceError, sqlite3.Error) as error:
        raise StoreError(store) from error
    finally:
        ledger.close()


@contextmanager
def _import_ledger(
    campaign: Campaign,
    store: Path | str,
    dry_run: bool,
    *,
    key: str | None,
    shown: bool,
) -> Iterator[Ledger]:
    """Open the ledger an import checks against and goes into.

    A dry run on a store file not yet there checks against an empty ledger
    in a scratch folder, which answers as that store would: a check must
    create no file, and the store's name may yet be mistyped.
    """
    if not (dry_run and isinstance(store, Path) and not store.exists()):
        with _opened(campaign, store, key=key, shown=shown) as ledger:
            yield ledger
        return
    with tempfile.TemporaryDirectory(prefix="taizhang-") as scratch:
        empty = Path(scratch) / "ledger.sqlite"
        with _opened(campaign, empty, key=key, shown=shown) as ledger:
            yield ledger


def _wants_progress(args: argparse.Namespace) -> bool:
    """Tell whether to show progress lines: asked for, or stderr is a terminal."""
    if getattr(args, "progress", False):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False  # replaced by something that is no file, or closed


@contextmanager
def _progress_line(shown: bool, label: str, unit: str) -> Iterator[Progress | None]:
    """Give long work a progress line on stderr (on a terminal rewritten in place).

    None if not shown.

    The line ends on every way out, so what is said next starts on its own line.
    """
    if not shown:
        yield None
        return
    written = ""
    # A log file gets a line per report: a carriage return would run them together.
    in_place = sys.stderr.isatty()

    def say(done: int, total: int) -> None:
        nonlocal written
        if not total:
            return
        text = f"{label}：{progress_count(done, total, unit)}"
        if text == written:
            return
        if in_place:
            pad = " " * max(0, _cells(written) - _cells(text))
            sys.stderr.write(f"\r{text}{pad}")
        else:
            sys.stderr.write(f"{text}\n")
        sys.stderr.flush()
        written = text

    try:
        yield say
    finally:
        if written and in_place:
            sys.stderr.write("\n")
            sys.stderr.flush()


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
    name = name_text("operator", name)
    units = campaign.all_units
    unit = (
        args.unit or os.environ.get(UNIT_ENV, "").strip() or (campaign.units.townships or units)[0]
    )
    if unit not in units:
        raise UnknownValueError("unit", unit)
    return Operator(name.strip(), unit)


def _given_unit(args: argparse.Namespace) -> str:
    return str(args.unit or os.environ.get(UNIT_ENV, "").strip())


# Commands that act for a unit, done only by its own operator once roles are kept.
UNIT_ACTS = {
    "submit": Act.SUBMIT,
    "seal": Act.SEAL,
    "screening": Act.RECORD,
    "undo-screening": Act.RECORD,
}


def _own_unit(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> str:
    """The unit a command works for when none follows it: the registered
    operator's, or the one given before the command.

    Otherwise (nobody registered, or a name not on the register) the
    operator's unit is only the campaign's first township, which nobody
    chose: refused.
    """
    act = UNIT_ACTS.get(args.command)
    if operator.role and operator.role != Role.UNIT and act is not None:
        # Done by the unit's own operator: a --unit would only be refused next.
        raise NotPermittedError(operator.name, operator.role, operator.unit, act, "")
    if operator.unit in ledger.campaign.units.receiving:
        raise CommandRefused(
            f"{operator.unit}没有本单位的台账，请用 --unit 指明为哪个单位办理。"
        )
    if operator.role or _given_unit(args):
        return operator.unit
    entries = {entry.name: entry for entry in ledger.operators()}
    if operator.name in entries and not entries[operator.name].active:
        raise OperatorRetiredError(operator.name)
    if entries:
        raise CommandRefused(
            f"操作员“{operator.name}”没有登记，请用 --unit 指明单位，否则不知道是哪个单位。"
        )
    raise CommandRefused(
        "没有登记操作员时，请用 --unit 指明单位（或设置 TAIZHANG_UNIT），否则不知道是哪个单位。"
    )


def _of_unit(
    args: argparse.Namespace, ledger: Ledger, operator: Operator, unit: str
) -> Operator:
    """With no register and no unit given before the command, take the operator
    to be of the unit they act for: `_operator` fell back on the campaign's
    first township before the command was read, and every event they record
    names their unit."""
    if unit in ledger.campaign.all_units and not _given_unit(args) and not ledger.operators():
        return Operator(operator.name, unit)
    return operator


def _signed_in(
    args: argparse.Namespace, ledger: Ledger, operator: Operator
) -> Operator:
    """Work as the registered operator of that name, with their unit and role.

    Without a register, or for a name not on it, the operator stays as given:
    reading still works, and the ledger refuses anything else in Chinese.
    With no register, of the unit the command names (`_of_unit`).
    """
    if not ledger.operators():
        return _of_unit(args, ledger, operator, getattr(args, "command_unit", None) or "")
    try:
        return ledger.sign_in(operator.name, _given_unit(args))
    except (OperatorNotRegisteredError, OperatorRetiredError):
        return operator


def _bundle(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> int:
    """Export this store as a unit's bundle, or import bundles into it."""
    if args.bundle_command == "export":
        unit = args.bundle_unit or _own_unit(args, ledger, operator)
        stamp = ledger.clock.now().astimezone(ledger.campaign.tz)
        target = args.output or Path(f"单位数据包-{unit}-{stamp:%Y%m%d-%H%M}.tzb")
        _keep_existing(args, target)
        data = ledger.export_bundle(operator, unit)
        _write_file(target, data)
        log.info("exported a bundle of %s to %s", unit, target)
        print(f"已导出 {unit} 的数据包 {target}（记录 {ledger.head()} 条，指纹 "
              f"{ledger.fingerprint()}）。请交给领导小组办公室导入。")
        return EXIT_OK
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as error:
            log.info("cannot read bundle %s", path, exc_info=True)
            raise CommandRefused(f"无法读取数据包 {path}：{_read_problem(error)}") from None
        result = ledger.import_bundle(operator, data)
        log.info("imported bundle %s of %s: %d added", path, result.unit, result.added)
        if result.added:
            print(f"已导入 {path}：{result.unit}，新增 {result.added} 条记录，"
                  f"已有 {result.present} 条。")
        elif result.newer is not None:
            at, head = result.newer
            print(
                f"{path} 是 {result.unit} 较早导出的数据包："
                f"本库已导入过它之后导出的（"
                f"{moment_words(datetime.fromisoformat(at).astimezone(ledger.campaign.tz))}导出，"
                f"截至其第 {head} 条记录），其中的 {result.present} 条记录本库都已有，未重复记录。"
            )
        else:
            print(f"{path} 已导入过：{result.unit} 的 {result.present} 条记录本库都已有，未重复记录。")
        if result.missing:
            named = "、".join(f"问题 {number} 第 {version} 步" for number, version in result.missing)
            print(
                f"  注意：上次从该单位导入的 {len(result.missing)} 条记录不在这个数据包里"
                f"（{named}）：单位数据文件中的记录被删除过。本库仍保留它们，请向该单位核实。"
            )
        if result.early is not None:
            at, count = result.early
            print(
                f"  注意：其中 {count} 条记录的录入时间早于该单位上次导出数据包的时间（"
                f"{moment_words(datetime.fromisoformat(at).astimezone(ledger.campaign.tz))}），"
                "那个数据包里却没有它们：录入时间可能被改早了。已列入 taizhang signals，请向该单位核实。"
            )
        if result.other_units:
            named = "、".join(f"{unit} {count} 个" for unit, count in result.other_units)
            how = "；".join(f"bundle export --unit {unit}" for unit, _ in result.other_units)
            print(
                f"  数据包里其他单位的问题未导入：{named}。它们应由各自单位报送；"
                f"也可在同一数据文件上为该单位另行导出数据包（{how}）。"
            )
        if result.left_out:
            print(
                f"  另有 {result.left_out} 条单位本地的记录（操作员登记、抽样等）"
                "不属于台账，未导入。"
            )
        print(f"  单位数据文件的指纹 {result.fingerprint}。")
        for week, fingerprint in result.submissions:
            print(f"  第 {week} 周报送的指纹 {fingerprint}：与数据包一致，请与收到的报送件核对。")
    return EXIT_OK


def _read_problem(error: OSError) -> str:
    """Say in Chinese why a file could not be read."""
    return {
        errno.ENOENT: "文件不存在",
        errno.EACCES: "没有读取权限",
        errno.EISDIR: "这是一个文件夹，不是文件",
    }.get(error.errno or 0, error.strerror or str(error))


def _write_file(path: Path, data: bytes) -> None:
    """Write a file whole or not at all, refusing a destination that cannot be written.

    Readable by its owner only, as the store whose records it carries.
    """
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CommandRefused(f"无法写入 {path}：{error.strerror or error}") from None


def _staff(args: argparse.Namespace, ledger: Ledger, operator: Operator) -> int:
    """Keep the operator register: add, set, retire, list."""
    what = args.staff_command
    if what == "list":
        entries = ledger.operators()
        if not entries:
            print("还没有登记操作员：目前任何人都可以办理任何单位的事项。")
            return EXIT_OK
        _print_table(
            ("姓名", "单位", "角色", "状态"),
            [
                (e.name, e.unit, role_name(e.role), "在岗" if e.active else "已停用")
                for e in entries
            ],
        )
        return EXIT_OK
    name = args.name.strip()
    if what == "retire":
        ledger.retire_operator(operator, name)
        print(f"已停用操作员 {name}；其记录的事项保留原样。")
        return EXIT_OK
    if what == "add":
        # The first operator is the office's, registered by its own people.
        operator = _of_unit(args, ledger, operator, args.staff_unit)
        ledger.register_operator(operator, name, args.staff_unit, args.role)
        print(f"已登记操作员 {name}：{args.staff_unit}，{role_name(args.role)}。")
        return EXIT_OK
    entry = next((e for e in ledger.operators() if e.name == name), None)
    if entry is None:
        raise OperatorNotRegisteredError(name)
    if not (args.staff_unit or args.role):
        raise CommandRefused(f"要变更 {name} 的什么？请用 --unit 或 --role 给出新的单位或角色。")
    unit = args.staff_unit or entry.unit
    role = args.role or str(entry.role)
    ledger.assign_operator(operator, name, unit, role)
    print(f"已变更操作员 {name}：{unit}，{role_name(role)}。")
    return EXIT_OK


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


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
