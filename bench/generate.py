"""Fill a fresh store with a realistic campaign of N findings, quickly.

The findings are planned as the demo plans them (domain.demo): every unit of the
campaign, every category, every status, and the demo's wording, days and
operators. Every step is then taken on the Finding aggregate itself, stamped
from the settable clock at an office-hours moment, in time order, and many
aggregates are saved per `Application.save` call instead of one command per
event. The events therefore pass through the application's mapper and
recorder: the hash chain is written as in daily use. The ledger view is left
for the first opening to build (that is the "rebuild" measure), unless asked.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain import demo
from domain.campaign import Campaign, Category, load_campaign
from domain.chain import CHAIN_TABLE, ORIGIN_TABLE
from domain.clock import SetClock
from domain.finding import Finding, Stamp
from domain.ledger import Ledger, Operator, open_ledger
from domain.sqlite_store import KEY_TABLE
from domain.unit_ledger import UnitLedger

# How many steps go into one save at most; a save never spans two days, so a
# week's cut-off (midnight) never falls inside one.
BATCH_STEPS = 5000

# Extra progress reports per finding in rectification, drawn from these: the
# demo's own steps average about four events a finding, the issue asks for five.
EXTRA_PROGRESS = (0, 1, 2, 2)
PROGRESS_NOTES = (
    "按整改方案推进，已完成阶段性工作",
    "已召开专题会议研究整改，明确分工和时间节点",
    "已入户核实整改进度，形成工作记录",
    "整改资料已收集整理，按要求归档",
)
GIVEN_NAMES = (
    "建军", "国华", "志强", "文明", "晓峰", "卫东", "红伟", "海燕", "丽娟", "春生",
    "玉兰", "保国", "新民", "桂芳", "永刚",
)  # fmt: skip

# A township records about three times as many findings as a department.
TOWNSHIP_WEIGHT = 3
DEPARTMENT_WEIGHT = 1
# How often a unit lets a weekly report pass without submitting it.
MISSED_REPORT = 0.05


@dataclass(frozen=True)
class Generated:
    """What a generation wrote, for the report."""

    findings: int
    finding_events: int
    events: int
    units: int
    statuses: dict[str, int]
    categories: dict[str, int]
    seconds: float
    # The moment after the last generated step: the app's clock when measured.
    end: datetime = field(repr=False)
    # The tables of the event store and its chain; every other one is a read model.
    store_tables: frozenset[str] = field(repr=False, default=frozenset())

    @property
    def events_per_finding(self) -> float:
        return self.finding_events / self.findings if self.findings else 0.0


def end_of_campaign(campaign: Campaign) -> datetime:
    """Return the moment after every generated step: 18:30 on the demo's last day."""
    return datetime.combine(demo.LAST_DAY, clock_time(18, 30), tzinfo=campaign.tz)


def store_tables(ledger: Ledger) -> frozenset[str]:
    """Name the tables that belong to the event store itself, not to a read model."""
    own = {CHAIN_TABLE, ORIGIN_TABLE, KEY_TABLE}
    own.add(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    if ledger.snapshots is not None:
        own.add(ledger.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
    return frozenset(own)


def generate(
    store: Path, count: int, *, seed: int = 8, catch_up: bool = False
) -> Generated:
    """Write a campaign of `count` findings into a new store file.

    With `catch_up` the ledger view is brought level afterwards; without it
    the view stays empty for the next opening to build.
    """
    if Path(store).exists():
        raise FileExistsError(store)
    started = time.perf_counter()
    # Hundreds of thousands of live events and states make the cyclic
    # collector's full passes the largest cost; nothing generated needs it.
    collecting = gc.isenabled()
    gc.disable()
    campaign = load_campaign()
    rng = random.Random(seed)
    clock = SetClock(datetime.combine(demo.FIRST_DAY, clock_time(8), tzinfo=campaign.tz))
    ledger = open_ledger(campaign, store, clock)
    try:
        units = _units(campaign, rng)
        plans = _plan(campaign, rng, units, count)
        steps = _schedule(plans, rng, campaign.tz)
        statuses = _run(ledger, clock, units, plans, steps, rng)
        if catch_up:
            ledger.catch_up()
        events = ledger.head()
        own = store_tables(ledger)
    finally:
        ledger.close()
        if collecting:
            gc.enable()
    categories = Counter(plan.category.key for plan in plans)
    return Generated(
        findings=len(plans),
        # A plan made while recording is an event of its own.
        finding_events=sum(len(p.steps) + p.new.has_plan for p in plans),
        events=events,
        units=len({plan.new.reporting_unit for plan in plans}),
        statuses=dict(statuses),
        categories=dict(categories),
        seconds=time.perf_counter() - started,
        end=end_of_campaign(campaign),
        store_tables=own,
    )


def _units(campaign: Campaign, rng: random.Random) -> list[demo._Unit]:
    """Every township and every department that leads a category, with an operator."""
    names = list(campaign.units.townships) + [
        d for d in campaign.responsible_units if d in campaign.units.departments
    ]
    units = []
    for name in names:
        operator = Operator(rng.choice(demo.SURNAMES) + rng.choice(GIVEN_NAMES), name)
        units.append(demo._Unit(name, operator, demo._leaders(rng)))
    return units


def _plan(
    campaign: Campaign, rng: random.Random, units: list[demo._Unit], count: int
) -> list[demo._Plan]:
    """Plan every finding and its steps; the first ones cover every unit,
    category and fate."""
    calendar = demo._Calendar(rng)
    team = demo._inspection_unit(campaign)
    inspectors = [
        Operator(rng.choice(demo.SURNAMES) + rng.choice(GIVEN_NAMES), team)
        for _ in range(4)
    ]
    townships = [u.name for u in units if u.name in campaign.units.townships]
    weights = [
        TOWNSHIP_WEIGHT if u.name in townships else DEPARTMENT_WEIGHT for u in units
    ]
    fates = list(demo.FATE_WEIGHTS)
    fate_weights = list(demo.FATE_WEIGHTS.values())
    categories = list(campaign.categories)

    plans = []
    for index in range(count):
        if index < len(units):
            # Round-robin first: each unit once, the fates and categories in turn.
            unit = units[index]
            fate = fates[index % len(fates)]
            chosen: Category | None = categories[index % len(categories)]
            if unit.name not in townships:
                chosen = None
        else:
            unit = rng.choices(units, weights)[0]
            fate = rng.choices(fates, fate_weights)[0]
            chosen = None
        category = chosen or _category(campaign, rng, unit.name)
        place = rng.choice(demo.VILLAGES)
        if unit.name not in townships:
            place = rng.choice(townships) + place
        plan = demo._plan_finding(
            campaign,
            rng,
            calendar,
            unit,
            category,
            fate,
            place=place,
            inspector=rng.choice(inspectors),
            early=False,
        )
        _add_progress(plan, rng, calendar)
        unit.plans.append(plan)
        plans.append(plan)
    missing = set(fates) - {p.fate for p in plans}
    if count >= len(fates) and missing:
        raise AssertionError(f"fates not generated: {sorted(missing)}")
    return plans


def _category(campaign: Campaign, rng: random.Random, unit: str) -> Category:
    """A department reports on what it leads; a township on anything."""
    own = [c for c in campaign.categories if unit in c.lead_units]
    pool = own or list(campaign.categories)
    weights = [3 if c.key in ("housing", "health", "welfare") else 2 for c in pool]
    return rng.choices(pool, weights)[0]


def _add_progress(plan: demo._Plan, rng: random.Random, calendar: Any) -> None:
    """Add progress reports between planning and completion (or the end)."""
    if plan.fate in (demo.PENDING, demo.WITHDRAWN):
        return
    extra = rng.choice(EXTRA_PROGRESS)
    if not extra:
        return
    kinds = [step.kind for step in plan.steps]
    at = kinds.index(demo.COMPLETE) if demo.COMPLETE in kinds else len(kinds)
    last = plan.steps[at].day if at < len(kinds) else demo.LAST_DAY
    # Only findings that stay pending are recorded by the inspection team.
    operator = plan.steps[0].by
    for _ in range(extra):
        day = calendar.after(plan.steps[at - 1].day, 0, 2, last)
        note = rng.choice(PROGRESS_NOTES)
        evidence = list(rng.choice(demo.EVIDENCE)) if rng.random() < 0.5 else []
        args = {"progress": note, "evidence": evidence}
        plan.steps.insert(at, demo._Step(day, demo.PROGRESS, operator, args))
        at += 1


def _schedule(
    plans: list[demo._Plan], rng: random.Random, tz: ZoneInfo
) -> list[tuple[datetime, int, int, demo._Step]]:
    """Give every step an office-hours moment, as the demo does; sort them by time."""
    steps: list[tuple[datetime, int, int, demo._Step]] = []
    for index, plan in enumerate(plans):
        by_day: dict[date, list[demo._Step]] = {}
        for step in plan.steps:
            by_day.setdefault(step.day, []).append(step)
        for day, group in by_day.items():
            minutes = sorted(rng.sample(demo.OFFICE_MINUTES, len(group)))
            for step, minute in zip(group, minutes, strict=True):
                moment = clock_time(minute // 60, minute % 60, rng.randint(0, 59))
                step.at = datetime.combine(day, moment, tzinfo=tz)
                steps.append((step.at, len(steps), index, step))
    steps.sort(key=lambda entry: entry[:2])
    return steps


def _run(
    ledger: Ledger,
    clock: SetClock,
    units: list[demo._Unit],
    plans: list[demo._Plan],
    steps: list[tuple[datetime, int, int, demo._Step]],
    rng: random.Random,
) -> Counter[str]:
    """Take every step on its aggregate in time order, saving in batches.

    Returns how many findings ended in each status.
    """
    campaign = ledger.campaign
    left = [len(plan.steps) for plan in plans]
    live: dict[int, Finding] = {}
    touched: dict[int, Finding] = {}
    statuses: Counter[str] = Counter()
    weeks = [(w, ledger.week_cutoff(w)) for w in campaign.report_weeks]
    records: dict[str, UnitLedger] = {}
    day: date | None = None
    batched = 0

    def flush() -> None:
        nonlocal batched
        batched = 0
        if touched:
            ledger.save(*touched.values())
            for index, finding in touched.items():
                if not left[index]:
                    statuses[str(finding.state.status)] += 1
                    del live[index]
            touched.clear()

    for at, _, index, step in steps:
        if step.day != day:
            flush()
            if day is None:
                _screen(ledger, clock, units, records, rng, step.day)
            while weeks and weeks[0][1] <= at:
                week, cutoff = weeks.pop(0)
                _submit(ledger, clock, units, records, rng, week, cutoff, step.day)
            day = step.day
        clock.set(at)
        stamp = ledger.stamp(step.by)
        finding = _take(plans[index], live.get(index), step, stamp)
        live[index] = touched[index] = finding
        left[index] -= 1
        batched += 1
        if batched >= BATCH_STEPS:
            flush()
    flush()
    return statuses


def _take(
    plan: demo._Plan, finding: Finding | None, step: demo._Step, stamp: Stamp
) -> Finding:
    """Take one step of a plan on its finding; the first step records it."""
    args, day = step.args, step.day
    if step.kind == demo.RECORD:
        new = plan.new
        finding = Finding.record(
            stamp,
            reporting_unit=new.reporting_unit,
            category=new.category,
            check_item=new.check_item,
            nature=new.nature,
            statement=new.statement,
            cause=new.cause,
            found_on=new.found_on,
            source=new.source,
            source_ref=new.source_ref,
            village=new.village,
            household_head=new.household_head,
            household_kind=new.household_kind,
        )
        if new.has_plan:
            assert new.deadline is not None
            finding.plan(
                stamp,
                measures=new.measures,
                deadline=new.deadline,
                responsible_unit=new.responsible_unit,
                responsible_leader=new.responsible_leader,
            )
        return finding

    assert finding is not None, "a step before its finding was recorded"
    if step.kind == demo.PLAN:
        finding.plan(stamp, **args)
    elif step.kind == demo.PROGRESS:
        finding.report_progress(stamp, on=day, **args)
    elif step.kind == demo.EXTEND:
        finding.extend_deadline(stamp, **args)
    elif step.kind == demo.COMPLETE:
        finding.complete(stamp, on=day, **args)
    elif step.kind == demo.PASS:
        finding.pass_acceptance(stamp, on=day, inspector=stamp.operator, **args)
    elif step.kind == demo.FAIL:
        finding.fail_acceptance(stamp, on=day, inspector=stamp.operator, **args)
    elif step.kind == demo.CORRECT:
        finding.correct(stamp, **args)
    elif step.kind == demo.WITHDRAW:
        finding.withdraw(stamp, **args)
    else:
        raise ValueError(f"unknown step {step.kind!r}")
    return finding


def _early(campaign: Campaign, day: date, rng: random.Random) -> datetime:
    """A moment before office hours (08:00-08:29), when reports are handed in."""
    moment = clock_time(8, rng.randint(0, 29), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=campaign.tz)


def _unit_record(
    ledger: Ledger, records: dict[str, UnitLedger], stamp: Stamp, unit: str
) -> UnitLedger:
    if unit not in records:
        records[unit] = UnitLedger.open(stamp, campaign_id=ledger.campaign.id, unit=unit)
    return records[unit]


def _screen(
    ledger: Ledger,
    clock: SetClock,
    units: list[demo._Unit],
    records: dict[str, UnitLedger],
    rng: random.Random,
    day: date,
) -> None:
    """Record on the first day which check items each unit screened."""
    campaign = ledger.campaign
    for unit in units:
        own = [c for c in campaign.categories if unit.name in c.lead_units]
        for category in own or campaign.categories:
            for item in range(1, len(category.items) + 1):
                clock.set(_early(campaign, day, rng))
                stamp = ledger.stamp(unit.operator)
                record = _unit_record(ledger, records, stamp, unit.name)
                record.screen_item(
                    stamp,
                    category=category.key,
                    check_item=item,
                    households=rng.randint(40, 400),
                    problems_found=rng.randint(0, 6),
                )
    ledger.save(*records.values())


def _submit(
    ledger: Ledger,
    clock: SetClock,
    units: list[demo._Unit],
    records: dict[str, UnitLedger],
    rng: random.Random,
    week: int,
    cutoff: datetime,
    day: date,
) -> None:
    """Hand in a week's report for (almost) every unit, as `Ledger.submit_week` does.

    Everything before the cut-off is saved, so the head is the position the
    week's sheet is fixed by.
    """
    position = ledger.head()
    fingerprint = str(ledger.fingerprint(position))
    changed = []
    for unit in units:
        if rng.random() < MISSED_REPORT:
            continue
        clock.set(_early(ledger.campaign, day, rng))
        stamp = ledger.stamp(unit.operator)
        record = _unit_record(ledger, records, stamp, unit.name)
        record.submit_week(
            stamp, week=week, cutoff=cutoff, position=position, fingerprint=fingerprint
        )
        changed.append(record)
    if changed:
        ledger.save(*changed)
