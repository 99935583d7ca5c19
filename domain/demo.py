"""Demo data: a realistic campaign filled in through the ledger's own commands."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.campaign import Campaign, Category
from domain.clock import SetClock
from domain.ledger import Ledger, NewFinding, Operator

INSPECTION_TEAM = "市巩固拓展脱贫攻坚成果调研指导组"

VILLAGES = (
    "东村", "西村", "南村", "北村", "前营村", "后营村", "张庄村", "李庄村",
    "王楼村", "河湾村", "大槐树村", "杨树岗村", "石桥村", "新华社区",
)  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴孙马郭何罗梁宋郑谢韩"
STAFF_NAMES = (
    "李静", "王磊", "张伟", "刘洋", "陈芳", "杨帆", "赵敏", "黄海涛",
    "周建华", "吴晓东", "孙丽", "马俊", "郭亚楠", "何志强",
)  # fmt: skip
# How often each household kind turns up: most findings concern 脱贫户.
KIND_WEIGHTS = {"脱贫户": 6, "监测对象": 3, "一般农户": 1}

# Limitation: the demo's calendar is fixed to the Yuzhou 2022 campaign; a demo for
# another campaign would need these days derived from its definition's phases.
# The campaign's working days: 端午节 (6-03) is a holiday, the last Saturday is not.
HOLIDAYS = frozenset({date(2022, 6, 3)})
FIRST_DAY = date(2022, 6, 1)
LAST_DAY = date(2022, 6, 25)
# Office hours in minutes after midnight, local time: 8:30-12:00, 14:30-18:00.
OFFICE_MINUTES = (*range(8 * 60 + 30, 12 * 60), *range(14 * 60 + 30, 18 * 60))

# Where each finding ends up by the end of the campaign.
PENDING = "pending"  # recorded, no plan yet
IN_PROGRESS = "in_progress"  # planned, deadline after the campaign
OVERDUE = "overdue"  # planned, deadline passed, still open
AWAITING = "awaiting"  # completed, waiting for acceptance
CLOSED = "closed"  # accepted (销号)
RETURNED = "returned"  # failed acceptance once, back in rectification
RECLOSED = "reclosed"  # failed once, reworked, then accepted
WITHDRAWN = "withdrawn"  # duplicate or mistaken

FATE_WEIGHTS = {
    PENDING: 9,
    IN_PROGRESS: 18,
    OVERDUE: 10,
    AWAITING: 12,
    CLOSED: 33,
    RETURNED: 7,
    RECLOSED: 4,
    WITHDRAWN: 7,
}


@dataclass(frozen=True)
class Problem:
    """A kind of problem a category's screening typically turns up."""

    item: int
    statement: str
    cause: str
    measures: str
    progress: tuple[str, ...]
    effect: str
    household: bool = True
    lead: str = ""


def _p(
    item: int,
    statement: str,
    cause: str,
    measures: str,
    progress: tuple[str, ...],
    effect: str,
    *,
    household: bool = True,
    lead: str = "",
) -> Problem:
    return Problem(item, statement, cause, measures, progress, effect, household, lead)


# {place} is the village, {who} the household ("脱贫户王某某家"), {person} its head
# ("脱贫户王某某"), {head} the bare name, {n} a count.
PROBLEMS: dict[str, tuple[Problem, ...]] = {
    "housing": (
        _p(
            1,
            "{place}{who}住房未开展安全性鉴定，门口未悬挂住房安全等级标识牌",
            "村级排查不细，第三方鉴定人员不足，鉴定挂牌工作滞后",
            "联系第三方鉴定机构入户鉴定，出具安全性评定结果，按鉴定等级挂牌",
            ("鉴定机构已入户完成现场查勘", "鉴定报告已出具，结论为B级，标识牌已制作"),
            "已出具安全性评定结果并悬挂标识牌，资料归入一户一档",
        ),
        _p(
            1,
            "{place}部分脱贫户、监测对象住房安全等级标识牌脱落或信息不全，涉及{n}户",
            "标识牌材质不耐用，村两委日常巡查不到位",
            "统一制作更换标识牌，补全鉴定信息，村两委每月巡查一次",
            ("已完成需更换户数统计，标识牌已下单制作", "已更换标识牌过半"),
            "涉及农户标识牌全部更换到位，信息完整",
            household=False,
        ),
        _p(
            2,
            "{place}{who}东厢房墙体出现贯通裂缝，属新出现危房，未纳入动态监测",
            "农村住房安全动态监测机制落实不到位，网格员巡查频次不够",
            "立即动员农户搬离危险房屋，纳入危房改造计划，落实加固维修资金",
            ("农户已临时搬至亲属家居住", "加固维修已开工，完成墙体拆砌"),
            "房屋已加固维修，经复核鉴定达到安全标准",
        ),
        _p(
            3,
            "{place}{who}危房改造方式与实际不符，不具备原址重建条件仍按重建上报",
            "改造方式论证不充分，入户核实不细",
            "重新入户核实，调整为加固维修，按程序变更审批手续",
            ("已重新入户核实并形成核实意见", "变更申请已报市住建局审批"),
            "改造方式已变更为加固维修并完成施工",
        ),
        _p(
            4,
            "{place}{who}危房改造补助资金未按期拨付到户",
            "报账资料不全，资金拨付审批环节多",
            "补齐竣工验收资料，3个工作日内完成审批，通过一卡通发放到户",
            ("验收资料已补齐，报财政审核",),
            "补助资金已足额发放到户，农户签字确认",
        ),
        _p(
            4,
            "{place}2021年度危房改造户中{n}户建筑面积超出控制标准，自筹负担较重",
            "施工前未向农户讲清面积控制政策，监管缺位",
            "逐户核实面积和自筹资金情况，对超标户进行政策讲解并建立监管台账",
            ("已逐户丈量核实面积",),
            "已逐户建立面积和自筹资金台账，后续改造严格按标准执行",
            household=False,
        ),
        _p(
            5,
            "{place}{who}危房改造后屋面漏雨，施工质量不达标",
            "施工队质量意识不强，竣工验收把关不严",
            "责令施工方返工维修屋面防水，重新组织竣工验收",
            ("施工方已进场返工，完成屋面防水层铺设",),
            "屋面已返工维修，雨后复查无渗漏，验收合格",
        ),
    ),
    "health": (
        _p(
            1,
            "{place}{who}1名家庭成员未参加2022年度城乡居民基本医疗保险",
            "外出务工人员信息更新不及时，参保动员不到位",
            "联系本人补办参保缴费，落实分类资助参保政策",
            ("已电话联系本人，讲清参保政策",),
            "已完成参保缴费，享受资助参保政策",
            lead="市医保局",
        ),
        _p(
            2,
            "{place}{person}住院费用未享受大病保险倾斜报销政策",
            "医保信息系统身份标识未及时更新",
            "更新医保系统身份标识，补报应报销部分",
            ("身份标识已更新，补报材料已提交",),
            "应报销费用已补报到账",
            lead="市医保局",
        ),
        _p(
            3,
            "{place}卫生室常用药品种不全，缺少降压、降糖类基本药物",
            "药品采购计划不合理，缺药登记制度未落实",
            "按基本药物目录补齐常用药品，建立缺药登记和补货制度",
            ("已与卫生院药房对接采购计划", "首批药品已配送到村"),
            "常用药品已补齐，缺药登记制度上墙",
            household=False,
            lead="市卫健委",
        ),
        _p(
            3,
            "{place}卫生室仅有1名村医且年龄偏大，服务能力不足",
            "村医队伍补充机制不健全",
            "由乡镇卫生院派驻医生定期坐诊，招聘乡村医生1名",
            ("卫生院已安排医生每周坐诊两天",),
            "已落实派驻坐诊，新招聘村医到岗",
            household=False,
            lead="市卫健委",
        ),
        _p(
            4,
            "{place}群众对“先诊疗后付费”和“一站式”结算政策知晓率低",
            "政策宣传方式单一，入户宣传不到位",
            "印发明白纸，由村医和驻村工作队入户宣传，卫生院窗口设置醒目标识",
            ("明白纸已印发到村",),
            "入户宣传全覆盖，群众知晓率明显提高",
            household=False,
            lead="市医保局",
        ),
        _p(
            5,
            "{place}{person}患高血压、糖尿病，未办理慢性病卡",
            "家庭医生随访不到位，政策宣传不够",
            "家庭医生协助整理病历资料，申报办理慢性病卡",
            ("病历资料已整理齐全并提交申报",),
            "慢性病卡已办理，按规定享受门诊报销",
            lead="市卫健委",
        ),
        _p(
            5,
            "{place}{person}签约家庭医生后未按规定履约随访",
            "家庭医生团队人员少、任务重，履约考核不严",
            "督促家庭医生团队入户随访，完善随访记录，纳入绩效考核",
            ("家庭医生已入户随访一次",),
            "已按规定完成随访，履约记录完整",
            lead="市卫健委",
        ),
        _p(
            6,
            "{place}{person}患大病未纳入30种大病专项救治台账",
            "疾病诊断信息与救治台账未及时比对",
            "核实诊断信息，纳入专项救治台账，协调定点医院救治",
            ("诊断信息已核实，申报材料已上报",),
            "已纳入专项救治台账，正在定点医院规范治疗",
            lead="市卫健委",
        ),
    ),
    "education": (
        _p(
            1,
            "{place}{who}初中阶段子女1人辍学在家",
            "家长教育观念淡薄，学生厌学，控辍保学责任落实不到位",
            "包村干部、班主任联合入户劝返，落实“一人一案”跟踪帮扶",
            ("已入户劝返两次，学生同意返校",),
            "学生已返校就读，建立跟踪帮扶档案",
            lead="市教体局",
        ),
        _p(
            1,
            "{place}{who}重度残疾儿童“送教上门”记录不全，每月不足2次",
            "送教教师安排不足，过程记录不规范",
            "调整送教教师安排，保证每月不少于2次并规范填写送教记录",
            ("已重新排定送教计划",),
            "送教上门按计划开展，记录规范完整",
            lead="市教体局",
        ),
        _p(
            2,
            "{place}{who}在读高中子女未享受国家助学金",
            "学校与户籍地信息比对不及时",
            "与就读学校对接，补录资助信息，按规定补发助学金",
            ("已与就读学校核对学籍和资助信息",),
            "助学金已补发到位",
            lead="市教体局",
        ),
        _p(
            3,
            "{place}{who}子女就读中职，“雨露计划”职业教育助学金未申请",
            "政策宣传不到位，家长不了解申请流程",
            "帮助准备学籍证明等材料，完成“雨露计划”申请",
            ("申请材料已收集齐全",),
            "已完成申请，助学金已发放",
            lead="市乡村振兴局",
        ),
        _p(
            3,
            "{place}小学营养改善计划配餐记录不规范，缺少留样记录",
            "学校食堂管理制度执行不严",
            "规范配餐和留样记录，学区每周抽查一次",
            ("已组织食堂人员培训",),
            "配餐和留样记录规范，抽查合格",
            household=False,
            lead="市教体局",
        ),
    ),
    "water": (
        _p(
            1,
            "{place}地势较高区域水压不足，高峰时段{n}户用水困难",
            "供水管网末端管径偏小，加压设施不足",
            "增设加压泵，更换末端主管道，高峰时段安排错峰供水",
            ("加压泵已采购", "主管道更换已完成一半"),
            "加压泵投入使用，涉及农户用水恢复正常",
            household=False,
        ),
        _p(
            2,
            "{place}集中供水点水质检测报告未按规定张贴公示",
            "供水站管理人员对公示要求不清楚",
            "张贴最新水质检测报告，建立定期更新公示制度",
            ("已索取最新检测报告",),
            "检测报告已张贴公示，每季度更新",
            household=False,
        ),
        _p(
            2,
            "{place}供水站消毒设备长期停用，未按规定消毒",
            "设备故障未及时维修，运行维护经费不足",
            "维修消毒设备，落实运维经费，建立消毒运行记录",
            ("维修人员已到场检修", "消毒设备已恢复运行"),
            "消毒设备正常运行，消毒记录完整",
            household=False,
        ),
        _p(
            3,
            "{place}{who}入户管道破损漏水，近一周频繁停水",
            "管道老化，日常巡查维修不及时",
            "更换破损入户管道，建立管网巡查维修台账",
            ("已更换破损管道",),
            "入户管道已更换，供水正常",
        ),
        _p(
            3,
            "{place}供水工程未制定季节性缺水应急预案",
            "对季节性缺水风险认识不足",
            "制定季节性缺水应急预案，明确应急水源和送水措施",
            ("应急预案初稿已完成",),
            "应急预案已印发并组织演练",
            household=False,
        ),
        _p(
            4,
            "{place}集中供水工程今年丰水期水质检测未开展",
            "检测计划安排滞后",
            "委托有资质机构开展丰水期水质检测，结果公示",
            ("已委托检测机构取样",),
            "丰水期水质检测已完成，结果达标并公示",
            household=False,
        ),
    ),
    "employment": (
        _p(
            1,
            "{place}{who}有劳动力1人有外出务工意愿，未获得岗位推荐",
            "就业需求摸排不细，岗位信息推送不精准",
            "建立就业意愿台账，推送适合岗位，组织参加专场招聘会",
            ("已推送岗位信息3条",),
            "已在本地企业稳定就业",
            lead="市人社局",
        ),
        _p(
            2,
            "{place}{person}2021年度跨省务工交通补贴未申领",
            "补贴政策宣传不到位，务工证明收集困难",
            "协助收集务工证明材料，完成交通补贴申领",
            ("务工证明已收集",),
            "交通补贴已发放到户",
            lead="市人社局",
        ),
        _p(
            3,
            "{place}公益性岗位人员考勤记录不全，存在空岗现象",
            "公益性岗位日常管理松散，监督考核不到位",
            "完善考勤和工作记录，清理空岗并按程序补录符合条件人员",
            ("已逐岗核查在岗情况",),
            "考勤记录规范，空岗已按程序补录",
            household=False,
            lead="市乡村振兴局",
        ),
        _p(
            3,
            "{place}公益性岗位人员{head}工资发放滞后两个月",
            "岗位补贴资金拨付流程长",
            "加快资金拨付，按月足额发放工资",
            ("拨付申请已报审",),
            "拖欠工资已全部发放，此后按月发放",
            lead="市乡村振兴局",
        ),
    ),
    "welfare": (
        _p(
            1,
            "{place}{who}符合低保条件但未纳入（应纳未纳）",
            "动态监测不及时，入户核查走访不到位",
            "启动低保申请审核程序，符合条件的及时纳入",
            ("申请材料已受理，入户核查完成",),
            "已纳入低保，补助金按月发放",
            lead="市民政局",
        ),
        _p(
            2,
            "{place}困境儿童{head}（父母一方重残）基本生活补贴未发放",
            "困境儿童信息排查不全",
            "完善困境儿童认定程序，按标准发放基本生活补贴",
            ("认定材料已报民政部门审核",),
            "已认定为困境儿童并发放补贴",
            lead="市民政局",
        ),
        _p(
            3,
            "{place}{who}因病致困，临时救助申请未及时办理",
            "临时救助“先行救助”机制落实不到位",
            "启动先行救助，按程序补办审批手续",
            ("先行救助金已发放",),
            "临时救助已足额发放，手续完备",
            lead="市民政局",
        ),
        _p(
            4,
            "{place}{person}年满60周岁未按时领取城乡居民养老保险待遇",
            "待遇领取资格认证不及时",
            "协助完成资格认证，补发应领待遇",
            ("资格认证已完成",),
            "养老保险待遇已补发并按月领取",
            lead="市人社局",
        ),
        _p(
            5,
            "{place}{who}1名家庭成员肢体残疾，未办理残疾证",
            "残疾人摸排不细，办证引导不到位",
            "联系残联安排评残，协助办理残疾证",
            ("已预约评残医生",),
            "残疾证已办理，纳入残疾人两项补贴",
            lead="市残联",
        ),
        _p(
            5,
            "{place}{who}重度残疾人护理补贴未发放",
            "补贴数据比对更新不及时",
            "核实残疾等级信息，补发护理补贴",
            ("残疾等级信息已核实",),
            "护理补贴已补发到位",
            lead="市残联",
        ),
        _p(
            6,
            "{place}分散供养特困人员居家照护协议未签订，照护责任不明确",
            "分散供养监管责任落实不到位",
            "逐户签订照护协议，明确照护人和照护责任，每月走访一次",
            ("已签订照护协议过半",),
            "照护协议全部签订，走访记录完整",
            household=False,
            lead="市民政局",
        ),
        _p(
            7,
            "{place}低保户{head}电费补贴未到账",
            "低保名单与供电公司补贴名单未及时同步",
            "同步更新低保名单，补发电费补贴",
            ("名单已同步至供电公司",),
            "电费补贴已补发到户",
            lead="市供电公司",
        ),
    ),
    "finance": (
        _p(
            1,
            "{place}小额信贷政策宣传不到位，部分有贷款意愿的脱贫户不了解申请流程",
            "金融政策宣传渠道单一，村级金融服务站作用发挥不够",
            "组织金融专员进村宣讲，逐户摸排贷款意愿，建立需求台账",
            ("已进村宣讲一次，摸排贷款意愿户",),
            "政策宣传到户，有意愿的农户已提交申请",
            household=False,
            lead="市金融事务中心",
        ),
        _p(
            1,
            "{place}{person}有发展养殖意愿，符合条件但未获得小额信贷",
            "银行审批周期长，村级推荐不及时",
            "协调合作银行加快审批，落实小额信贷发放",
            ("贷款申请已受理",),
            "小额信贷已发放，用于发展养殖",
            lead="市金融事务中心",
        ),
        _p(
            2,
            "{place}{person}的小额信贷资金用于建房，未用于生产经营",
            "贷后管理跟踪不到位",
            "开展贷后回访，督促调整资金用途，必要时提前收回",
            ("已入户回访并讲清用途规定",),
            "资金用途已规范，纳入贷后重点跟踪",
            lead="市金融事务中心",
        ),
        _p(
            3,
            "{place}帮带企业存在变相“户贷企用”疑点，涉及{n}户",
            "对帮带企业用款监管不严",
            "逐户核实贷款使用情况，发现“户贷企用”的立即整改并追责",
            ("已逐户核实贷款使用情况",),
            "核实未发现违规使用，完善企业用款监管制度",
            household=False,
            lead="市乡村振兴局",
        ),
    ),
}

EXTENSION_REASONS = (
    "连续降雨影响施工进度，申请延期",
    "材料采购周期较长，未能按期完成",
    "需报上级部门审批，审批时间较长",
    "涉及资金拨付，财政审核尚未完成",
    "当事人外出务工，暂未联系上本人",
)
FAILURE_REMARKS = (
    "佐证材料不全，缺少入户照片和农户签字",
    "整改不彻底，入户核实群众仍有意见",
    "资金发放凭证缺失，不能证明已发放到户",
    "台账填写与实际情况不符，需重新核实",
)
PASS_REMARKS = ("", "资料齐全，整改到位", "入户核实无误，同意销号", "抽查合格")
# Evidence references a progress report may cite (files kept by the unit).
EVIDENCE = (
    ("入户核实照片",),
    ("整改前后对比照片", "农户签字确认单"),
    ("会议纪要",),
    ("资金发放花名册", "银行转账凭证"),
    ("工作台账截图",),
)
WITHDRAW_REASONS = (
    "与本单位已录入的同一问题重复，作废此条",
    "经入户核实该户已享受相关政策，不存在此问题，系误录",
    "录入时户主信息有误且已重新录入，作废此条",
)


# What each step does; `_apply` turns a step into one ledger command.
RECORD = "record"
PLAN = "plan"
PROGRESS = "progress"
EXTEND = "extend"
COMPLETE = "complete"
PASS = "pass"
FAIL = "fail"
CORRECT = "correct"
WITHDRAW = "withdraw"


@dataclass
class _Step:
    """One command to run on a finding, on a business day, by an operator."""

    day: date
    kind: str
    by: Operator
    args: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


@dataclass
class _Plan:
    """One finding to fill in, and the steps that lead it to its fate."""

    new: NewFinding
    fate: str
    category: Category
    problem: Problem
    steps: list[_Step] = field(default_factory=list)
    finding_id: str = ""


@dataclass
class _Unit:
    """A unit taking part in the demo, its operator and its leaders."""

    name: str
    operator: Operator
    leaders: list[str]
    plans: list[_Plan] = field(default_factory=list)


class _Calendar:
    """The demo's working days, and seeded picks among them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        span = (LAST_DAY - FIRST_DAY).days
        every = [FIRST_DAY + timedelta(days=n) for n in range(span)]
        self.days = [d for d in every if d.weekday() < 5 and d not in HOLIDAYS]
        self.days.append(LAST_DAY)

    def pick(self, first: date, last: date) -> date:
        """Return a working day in first..last, or the first one after `first`."""
        inside = [d for d in self.days if first <= d <= last]
        if inside:
            return self.rng.choice(inside)
        later = [d for d in self.days if d >= first]
        return later[0] if later else self.days[-1]

    def after(self, day: date, low: int, high: int, last: date = LAST_DAY) -> date:
        """Return the day `low`..`high` working days after `day`, capped at `last`.

        With nothing left before `last` the day itself comes back: two steps on
        one day are fine, their times keep them in order.
        """
        later = [d for d in self.days if day < d <= last]
        gap = self.rng.randint(low, high)
        if not later or gap <= 0:
            return day
        return later[min(gap, len(later)) - 1]


def fill_demo(ledger: Ledger, clock: SetClock, *, seed: int = 7) -> int:
    """Fill an empty ledger with a realistic campaign; return how many findings.

    Every step goes through the ledger's commands with the clock set to an
    office-hours moment between 2022-06-01 and 2022-06-25, so transaction
    times, business dates and report weeks look like a real campaign. The
    first unit (褚河街道 when the campaign has it) gets every fate and
    findings in week 1. The same seed always gives the same ledger.
    """
    rng = random.Random(seed)
    campaign = ledger.campaign
    calendar = _Calendar(rng)
    inspector = Operator(rng.choice(STAFF_NAMES[8:]), _inspection_unit(campaign))
    names = iter(rng.sample(STAFF_NAMES[:8], 6))
    units = [
        _Unit(name, Operator(next(names), name), _leaders(rng))
        for name in _pick_units(campaign, rng)
    ]
    townships = [u.name for u in units if u.name in campaign.units.townships]

    for position, unit in enumerate(units):
        first = position == 0
        if first:
            # Enough for every fate and every category, and then some.
            count = rng.randint(20, 26)
        elif unit.name in campaign.units.departments:
            count = rng.randint(6, 10)
        else:
            count = rng.randint(10, 16)
        fates = _fates(rng, count, every=first)
        categories = _categories(campaign, rng, unit.name, count, every=first)
        for index, (fate, category) in enumerate(zip(fates, categories, strict=True)):
            place = rng.choice(VILLAGES)
            if unit.name not in townships:
                place = rng.choice(townships) + place
            unit.plans.append(
                _plan_finding(
                    campaign,
                    rng,
                    calendar,
                    unit,
                    category,
                    fate,
                    place=place,
                    inspector=inspector,
                    early=first and index < 3,
                )
            )

    plans = [plan for unit in units for plan in unit.plans]
    _run(ledger, clock, plans, rng)
    return len(plans)


def _pick_units(campaign: Campaign, rng: random.Random) -> list[str]:
    """Choose 褚河街道 (or the first township), four more, and one lead department."""
    townships = list(campaign.units.townships)
    first = "褚河街道" if "褚河街道" in townships else townships[0]
    others = [t for t in townships if t != first]
    departments = [
        d for d in campaign.responsible_units if d in campaign.units.departments
    ]
    return [first, *rng.sample(others, min(4, len(others))), rng.choice(departments)]


def _inspection_unit(campaign: Campaign) -> str:
    if INSPECTION_TEAM in campaign.all_units:
        return INSPECTION_TEAM
    return campaign.units.departments[-1]


def _leaders(rng: random.Random) -> list[str]:
    given = ("建军", "国华", "志强", "文明", "晓峰", "卫东", "红伟", "海燕")
    return [rng.choice(SURNAMES) + rng.choice(given) for _ in range(3)]


def _fates(rng: random.Random, count: int, *, every: bool) -> list[str]:
    """Draw the fates of a unit's findings; `every` puts each fate in at least once."""
    # The first three become the unit's week-1 findings, so none is withdrawn.
    fates = [CLOSED, IN_PROGRESS, OVERDUE, AWAITING, RETURNED, RECLOSED, PENDING]
    fates = [*fates, WITHDRAWN] if every else []
    count = max(count, len(fates))
    kinds = list(FATE_WEIGHTS)
    weights = list(FATE_WEIGHTS.values())
    while len(fates) < count:
        fates.append(rng.choices(kinds, weights)[0])
    return fates


def _categories(
    campaign: Campaign, rng: random.Random, unit: str, count: int, *, every: bool
) -> list[Category]:
    """Draw categories: a department reports on what it leads; `every` covers all."""
    own = [c for c in campaign.categories if unit in c.lead_units]
    pool = own or list(campaign.categories)
    chosen = list(campaign.categories) if every else []
    # Housing, health and welfare yield the most findings in a real screening.
    weights = [3 if c.key in ("housing", "health", "welfare") else 2 for c in pool]
    while len(chosen) < count:
        chosen.append(rng.choices(pool, weights)[0])
    return chosen


def _problem(category: Category, rng: random.Random) -> Problem:
    known = [p for p in PROBLEMS.get(category.key, ()) if p.item <= len(category.items)]
    if known:
        return rng.choice(known)
    # Another campaign's category still gets plausible rows from its own items.
    item = rng.randint(1, len(category.items))
    text = category.items[item - 1]
    return _p(
        item,
        f"{{place}}“{text}”落实不到位",
        "排查不细，政策落实跟踪不够",
        f"对照“{text}”逐项整改，建立整改台账",
        ("已逐项核实问题清单",),
        "已整改到位，资料归档",
        household=False,
    )


def _plan_finding(
    campaign: Campaign,
    rng: random.Random,
    calendar: _Calendar,
    unit: _Unit,
    category: Category,
    fate: str,
    *,
    place: str,
    inspector: Operator,
    early: bool,
) -> _Plan:
    """Write the finding's values and schedule every step of its life."""
    operator = unit.operator
    # A withdrawn finding is often the same problem typed in twice.
    original = None
    if fate == WITHDRAWN and unit.plans and rng.random() < 0.5:
        original = rng.choice(unit.plans)
        category = original.category
    problem = original.problem if original else _problem(category, rng)
    head = rng.choice(SURNAMES) + "某某"
    kinds = campaign.household_kinds
    kind = rng.choices(kinds, [KIND_WEIGHTS.get(k, 1) for k in kinds])[0]
    person = f"{kind}{head}" if problem.household else ""
    statement = problem.statement.format(
        place=place,
        who=f"{person}家" if person else "",
        person=person,
        head=head,
        n=rng.randint(3, 15),
    )

    if early:
        recorded = calendar.pick(FIRST_DAY, date(2022, 6, 7))
    elif fate == PENDING:
        recorded = calendar.pick(date(2022, 6, 13), date(2022, 6, 24))
    elif fate in (RETURNED, RECLOSED):
        recorded = calendar.pick(FIRST_DAY, date(2022, 6, 9))
    else:
        recorded = calendar.pick(FIRST_DAY, date(2022, 6, 16))
    found = recorded
    if rng.random() < 0.15:
        # Reported late: found some days before it reached the ledger.
        found = max(FIRST_DAY, recorded - timedelta(days=rng.randint(2, 6)))

    source = "部门指导" if unit.name in campaign.units.departments else "自查"
    recorder = operator
    if fate == PENDING and recorded >= date(2022, 6, 20) and rng.random() < 0.5:
        source, recorder = "验收抽查", inspector
    elif source == "自查" and rng.random() < 0.15:
        source = "部门指导"

    natures = campaign.natures
    nature = natures[-1] if problem.household else natures[0]
    leads = category.lead_units
    responsible = problem.lead if problem.lead in leads else rng.choice(leads)
    leader = rng.choice(unit.leaders)
    at_once = fate != PENDING and recorder is operator and rng.random() < 0.6
    planned = recorded if at_once else calendar.after(recorded, 1, 3, date(2022, 6, 21))
    deadline = _deadline(rng, category, fate, planned)

    new = NewFinding(
        reporting_unit=unit.name,
        category=category.key,
        check_item=problem.item,
        nature=nature,
        statement=statement,
        found_on=found,
        cause=problem.cause,
        source=source,
        village=place,
        household_head=head if problem.household else "",
        household_kind=kind if problem.household else "",
        measures=problem.measures if at_once else "",
        deadline=deadline if at_once else None,
        responsible_unit=responsible if at_once else "",
        responsible_leader=leader if at_once else "",
    )
    if original is not None:
        copied = ("statement", "village", "household_head", "household_kind")
        new = replace(new, **{name: getattr(original.new, name) for name in copied})
    plan = _Plan(new, fate, category, problem, [_Step(recorded, RECORD, recorder)])
    if fate == PENDING:
        return plan
    if fate == WITHDRAWN:
        reason = WITHDRAW_REASONS[0] if original else rng.choice(WITHDRAW_REASONS[1:])
        day = calendar.after(recorded, 1, 4)
        plan.steps.append(_Step(day, WITHDRAW, operator, {"reason": reason}))
        return plan

    if not at_once:
        args = {
            "measures": problem.measures,
            "deadline": deadline,
            "responsible_unit": responsible,
            "responsible_leader": leader,
        }
        plan.steps.append(_Step(planned, PLAN, operator, args))
    _schedule_rest(plan, rng, calendar, problem, operator, inspector, planned, deadline)
    return plan


def _deadline(rng: random.Random, category: Category, fate: str, planned: date) -> date:
    if fate == IN_PROGRESS:
        # Building and pipe work runs past the campaign; paperwork less so.
        if category.key in ("housing", "water"):
            return date(2022, rng.choice((7, 7, 8)), rng.choice((15, 31)))
        return date(2022, 7, rng.choice((5, 10, 15)))
    if fate in (OVERDUE, RETURNED):
        return min(planned + timedelta(days=rng.randint(3, 10)), date(2022, 6, 22))
    return planned + timedelta(days=rng.randint(5, 18))


def _schedule_rest(
    plan: _Plan,
    rng: random.Random,
    calendar: _Calendar,
    problem: Problem,
    operator: Operator,
    inspector: Operator,
    planned: date,
    deadline: date,
) -> None:
    """Add the steps after planning that lead the finding to its fate."""
    fate = plan.fate
    last = planned

    def add(kind: str, day: date, by: Operator, **args: Any) -> date:
        plan.steps.append(_Step(day, kind, by, args))
        return day

    if rng.random() < 0.15:
        day = calendar.after(last, 0, 2)
        last = add(CORRECT, day, operator, **_correction(plan.new, rng))

    finish_by = {
        AWAITING: date(2022, 6, 24),
        CLOSED: date(2022, 6, 22),
        RETURNED: date(2022, 6, 16),
        RECLOSED: date(2022, 6, 13),
    }.get(fate, LAST_DAY)
    for text in problem.progress[: rng.randint(0, len(problem.progress))]:
        day = calendar.after(last, 1, 3, finish_by)
        evidence = list(rng.choice(EVIDENCE)) if rng.random() < 0.6 else []
        last = add(PROGRESS, day, operator, progress=text, evidence=evidence)

    chance = {IN_PROGRESS: 0.35, OVERDUE: 0.3, CLOSED: 0.1}.get(fate, 0.0)
    if rng.random() < chance:
        later = deadline + timedelta(days=rng.randint(7, 20))
        if fate == OVERDUE:
            later = min(later, date(2022, 6, 23))
        if later > deadline:
            day = calendar.after(last, 1, 2, finish_by)
            reason = rng.choice(EXTENSION_REASONS)
            last = add(EXTEND, day, operator, deadline=later, reason=reason)

    if fate in (IN_PROGRESS, OVERDUE):
        return
    done = add(
        COMPLETE, calendar.after(last, 1, 4, finish_by), operator, effect=problem.effect
    )
    if fate == AWAITING:
        return
    if fate == CLOSED:
        day = calendar.pick(max(done, date(2022, 6, 13)), LAST_DAY)
        add(PASS, day, inspector, remarks=rng.choice(PASS_REMARKS))
        return

    day = calendar.pick(max(done, date(2022, 6, 14)), date(2022, 6, 21))
    failed = add(FAIL, day, inspector, remarks=rng.choice(FAILURE_REMARKS))
    day = calendar.after(failed, 1, 2)
    rework = add(
        PROGRESS,
        day,
        operator,
        progress="已按验收意见补充佐证材料，重新入户核实",
        evidence=list(rng.choice(EVIDENCE)),
    )
    if fate == RETURNED:
        return
    redone = add(
        COMPLETE, calendar.after(rework, 0, 1), operator, effect=problem.effect
    )
    add(PASS, calendar.after(redone, 1, 2), inspector, remarks="复查整改到位，同意销号")


def _correction(new: NewFinding, rng: random.Random) -> dict[str, Any]:
    """Choose a realistic correction of one recorded field."""
    if new.household_head and rng.random() < 0.5:
        surname = rng.choice(
            [s for s in SURNAMES if not new.household_head.startswith(s)]
        )
        return {
            "field": "household_head",
            "value": surname + "某某",
            "reason": "户主姓名录入错误，经核对户口簿更正",
        }
    if new.found_on > FIRST_DAY and rng.random() < 0.5:
        return {
            "field": "found_on",
            "value": max(FIRST_DAY, new.found_on - timedelta(days=rng.randint(1, 3))),
            "reason": "发现日期按入户排查记录更正",
        }
    return {
        "field": "cause",
        "value": new.cause + "；村级自查把关不严",
        "reason": "经党工委会议研判，补充原因分析",
    }


def _run(
    ledger: Ledger, clock: SetClock, plans: list[_Plan], rng: random.Random
) -> None:
    """Give every step an office-hours moment, then run them all in time order."""
    tz = ledger.campaign.tz
    steps: list[tuple[datetime, int, _Plan, _Step]] = []
    for plan in plans:
        days = sorted({step.day for step in plan.steps})
        for day in days:
            group = [step for step in plan.steps if step.day == day]
            minutes = sorted(rng.sample(OFFICE_MINUTES, len(group)))
            for step, minute in zip(group, minutes, strict=True):
                moment = time(minute // 60, minute % 60, rng.randint(0, 59))
                step.at = datetime.combine(day, moment, tzinfo=tz)
                steps.append((step.at, len(steps), plan, step))

    steps.sort(key=lambda entry: entry[:2])
    for at, _, plan, step in steps:
        clock.set(at)
        _apply(ledger, plan, step)


def _apply(ledger: Ledger, plan: _Plan, step: _Step) -> None:
    if step.kind == RECORD:
        plan.finding_id = ledger.record(step.by, plan.new)
        return

    finding_id, by, day, args = plan.finding_id, step.by, step.day, step.args
    version = ledger.row(finding_id).version
    if step.kind == PLAN:
        ledger.plan(by, finding_id, version, **args)
    elif step.kind == PROGRESS:
        ledger.report_progress(by, finding_id, version, on=day, **args)
    elif step.kind == EXTEND:
        ledger.extend_deadline(by, finding_id, version, **args)
    elif step.kind == COMPLETE:
        ledger.complete(by, finding_id, version, on=day, **args)
    elif step.kind == PASS:
        ledger.pass_acceptance(by, finding_id, version, on=day, **args)
    elif step.kind == FAIL:
        ledger.fail_acceptance(by, finding_id, version, on=day, **args)
    elif step.kind == CORRECT:
        ledger.correct(by, finding_id, version, **args)
    elif step.kind == WITHDRAW:
        ledger.withdraw(by, finding_id, version, **args)
    else:
        raise ValueError(f"unknown demo step {step.kind!r}")
