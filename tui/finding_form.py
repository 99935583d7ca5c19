"""The form that records a new finding, with its rectification plan if known."""

from __future__ import annotations

from typing import Any, Protocol

from domain.campaign import Campaign
from domain.inspection import SPOT_CHECK_SOURCE
from domain.ledger import Ledger, NewFinding, Operator
from domain.staff import Role
from tui.form import Field, FormModal, Options, choices


class HasOperator(Protocol):
    operator: Operator


def entry_day(ledger: Ledger) -> str:
    """The day a date field starts with: today while the campaign runs.

    After it, an office is entering papers of days gone by, and a date left
    at today would be wrong yet easy to pass over: the field starts empty.
    """
    today = ledger.today()
    campaign = ledger.campaign
    return today.isoformat() if campaign.first_day <= today <= campaign.last_day else ""


def clerks_unit(operator: Operator, campaign: Campaign) -> str:
    """The unit a screen starts on for a unit's clerk, "" for anyone else.

    A registered unit operator, or before registration one working for a
    reporting unit; the office and the team start on every unit.
    """
    if operator.role == Role.UNIT:
        return operator.unit
    if not operator.role and operator.unit in campaign.reporting_units:
        return operator.unit
    return ""


def new_finding_form(app: HasOperator, ledger: Ledger, *, sealed: bool = False) -> FormModal:
    """Build the new-finding form; saving records the finding (and plan) at once.

    `sealed`: the operator's unit has sealed its final ledger, so only a
    problem an acceptance spot-check found may still be recorded for it.
    """
    campaign = ledger.campaign
    first = campaign.categories[0]

    def items_of(category_key: str) -> Options:
        try:
            items = campaign.category(category_key).items
        except KeyError:
            return []
        # No space after the number: the option list wraps at spaces.
        return [(f"{n}.{text}", str(n)) for n, text in enumerate(items, 1)]

    unit = app.operator.unit
    fields = [
        Field("reporting_unit", "填报单位", "select", True,
              choices(campaign.all_units), value=unit),
        Field("category", "问题类型", "select", True,
              [(f"{c.name}（{c.label}）", c.key) for c in campaign.categories],
              value=first.key),
        Field("check_item", "排查内容", "select", True, depends_on="category",
              options_for=items_of),
        Field("nature", "问题性质", "select", True, choices(campaign.natures)),
        Field("statement", "问题表述", "area", True),
        Field("found_on", "发现日期", "date", True, value=entry_day(ledger)),
        Field("source", "问题来源", "select", True, choices(campaign.sources),
              value=SPOT_CHECK_SOURCE if sealed else campaign.sources[0]),
        Field("village", "村（社区）"),
        Field("household_head", "户主"),
        Field("household_kind", "户类型", "select", options=choices(campaign.household_kinds)),
        Field("cause", "原因分析", "area"),
        Field("measures", "整改措施", "area"),
        Field("deadline", "完成时限", "date"),
        Field("responsible_unit", "责任单位", "select",
              options=choices(campaign.responsible_units)),
        Field("responsible_leader", "责任领导"),
    ]

    def submit(values: dict[str, Any]) -> None:
        check_item = values.pop("check_item")
        new = NewFinding(check_item=int(check_item), **values)
        # A plan entered with a finding after the campaign comes from the
        # same papers: dated as found, not as typed years later.
        planned_on = None if entry_day(ledger) else new.found_on
        ledger.record(app.operator, new, planned_on=planned_on)

    return FormModal(
        "登记问题",
        fields,
        submit,
        year=campaign.year,
        hint=(
            f"{app.operator.unit} 终版台账已封存，只能登记验收抽查发现的问题（问题来源“验收抽查”）。"
            if sealed
            else ""
        )
        + "带 * 为必填；整改措施、完成时限、责任单位可稍后在问题页“制定整改”。",
        # What a clerk starts typing: on the 排查内容 list above it, the words
        # went into the list's search and were lost.
        first="statement",
    )
