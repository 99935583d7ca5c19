"""A finding's state is written into the view as the view has always written it.

`verify` compares a store's view with one folded afresh, text for text: a
view folded by an earlier release must read the same as one folded now.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone

from domain.state import FindingState, Status
from domain.view import dump_state, load_state

BEIJING = timezone(timedelta(hours=8))


def every_field_set() -> FindingState:
    return FindingState(
        finding_id="0b6f3c1e-2f7a-4c55-9a63-1d2e3f4a5b6c",
        reporting_unit="城关镇",
        category="housing",
        check_item=3,
        nature="一般",
        statement='王某家"危房"未改造\n另：屋顶漏雨\\待查\u2028\x1f结束',
        cause="资金未到位",
        found_on=date(2026, 6, 3),
        source="县督查组",
        recorded_at=datetime(2026, 6, 4, 9, 30, 5, 123456, tzinfo=UTC),
        recorded_by="李明",
        village="东村",
        household_head="王某",
        household_kind="脱贫户",
        source_ref="督查〔2026〕3号",
        remarks="附件 2 页",
        measures="拨付资金，7月底前完成加固",
        deadline=date(2026, 7, 31),
        responsible_unit="县住建局",
        responsible_leader="张华",
        planned=True,
        extensions=1,
        latest_progress="已完成 60%",
        progress_on=date(2026, 7, 1),
        first_step_on=date(2026, 6, 20),
        progress_count=2,
        completed_on=date(2026, 7, 20),
        effect="已入住",
        accepted_on=date(2026, 7, 25),
        inspector="赵刚",
        acceptance_remarks="合格",
        returned_count=1,
        withdrawn_reason="",
        status=Status.CLOSED,
        updated_at=datetime(2026, 7, 25, 16, 0, tzinfo=BEIJING),
        version=9,
    )


def test_a_state_is_written_as_compact_unescaped_json_in_field_order() -> None:
    state = every_field_set()
    data = {}
    for f in fields(FindingState):
        value = getattr(state, f.name)
        data[f.name] = value.isoformat() if isinstance(value, date) else value
    data["status"] = "已销号"

    text = dump_state(state)

    assert text == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    assert load_state(text) == state


def test_a_state_without_the_optional_days_reads_back_the_same() -> None:
    state = every_field_set().but(
        deadline=None, progress_on=None, completed_on=None, updated_at=None
    )

    assert load_state(dump_state(state)) == state
