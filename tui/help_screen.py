"""The help screen: every key of every screen, and how dates and lamps read."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP = """\
# 台账 使用帮助

## 台账页
| 按键 | 作用 |
| --- | --- |
| ↑ ↓ PgUp PgDn | 移动 |
| Enter | 打开问题，查看全部记录并办理 |
| n | 登记新问题 |
| / | 搜索（文字或拼音首字母，如 zjj 找到 市住建局） |
| o | 只看逾期 / 全部 |
| x | 清除筛选 |
| e | 导出正式整改台账 .xlsx（可选“对外共享”脱敏版：隐去户主姓名、证件号码） |
| d | 导入手工填写的整改台账 .xlsx：先列出不能导入的行，a 全部导入，g 只导入无误的行，Esc 取消 |
| t | 回溯：查看过去某一时刻的台账（只读），再按 t 回到当前 |
| w | 各周台账：按时上报与现在所知、迟报漏报、与上周比较；s 报送，e 导出 |
| j | 全部记录（日志），可按单位、操作员、事项、日期筛选 |
| i | 审计：疑点、台账检查、抽查样本（s 抽取，r 复核）、报送情况、完整性核验（v） |
| s | 统计：分类分性质分状态、按单位、逾期、按时完成率、每周新增与销号 |
| v | 排查覆盖：各单位 × 31 项排查内容，未排查的标红；r 登记排查情况 |
| f | 导出终版台账（附统计、汇总）和 Markdown 总结（总结验收阶段） |
| h | 办公室汇总：各单位问题数、各周报送、逾期问题；e 导出汇总台账（每个单位一张） |
| Tab | 在筛选框与表格之间切换 |

## 问题页
| 按键 | 作用 |
| --- | --- |
| p | 制定整改（措施、完成时限、责任单位） |
| d | 延期（须说明原因） |
| g | 报告进展 |
| c | 完成整改 |
| a | 验收通过，销号 |
| b | 验收未通过，退回整改 |
| k | 更正某一项（原值保留在记录中） |
| w | 作废（重复或误录，不删除） |
| u | 撤销本人记录的最近一步（撤销也留在记录中） |
| Esc | 返回台账 |

## 统计页
| 按键 | 作用 |
| --- | --- |
| 1 2 3 4 | 分类统计 / 按单位 / 逾期 / 每周新增与销号 |
| Tab | 到“单位”“周次”选择框：周次选“当前”或“第N周”（按该周结束前录入的情况，以该周最后一天统计） |
| f | 导出终版台账及总结 |

发现问题不含已作废；逾期：尚未完成且已过完成时限；按时完成率 = 在时限（含延期后的时限）内完成整改的 ÷（已完成整改的 + 已逾期的）。

## 排查覆盖页
✓ 登记了排查；◇ 未登记排查，但该项下有问题登记（视为已排查）；红底 ✗ 未排查。方向键移动，r 登记光标所在单位、所在项的排查情况（排查户数、发现问题数，没有发现填 0）。

## 表单
Tab 换到下一项，Ctrl+S 保存，Esc 取消。出错时红字提示显示在该项旁边，已填内容不会丢失。

日期可写：2022-06-20、2022/6/20、2022.6.20、2022年6月20日、6月20日、6月20日前（不写年份即本次工作的年份）。

## 导入
可导入按正式整改台账格式（或相近格式）手工填写的 .xlsx：表头行可在任意位置，合并单元格自动向下填充，
空行和备注行跳过，多出的列作为备注保存。每行登记为一个问题（来源：导入），并记下文件名和行号。
有不能导入的行时不写入任何内容，除非选择只导入无误的行；同一文件不会导入两次。
.xls、.csv 等请先用 Excel 或 WPS 另存为 .xlsx。

## 状态与提示灯
待整改 → 整改中 → 待验收 → 已销号；验收未通过退回“整改中”；作废为“已作废”。
黄灯：距完成时限 3 天以内；红灯：已过完成时限仍未完成。

## 操作员与角色
登记了操作员后，启动时若未用 --operator 指明，先在列表中选择操作员（↑ ↓ 选择，Enter 确认）。
单位操作员只能办理本单位的问题；验收结果由调研指导组记录；领导小组办公室查看全部单位（h）。
越权的操作在按键时即被拒绝并说明原因，不会留下记录。

## 其他
Ctrl+P 命令面板（封存终版台账、校验记录完整性等也在这里），F1 或 ? 本帮助，Ctrl+Q 退出。
所有改动都作为不可更改的记录保存，任何一步都能在问题页看到是谁、何时、为哪天记下的。
"""


class HelpScreen(ModalScreen[None]):
    """Explain the keys; Esc closes it."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", "关闭", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP)
        yield Footer(compact=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
