"""Tests for loading and validating campaign definitions and their week calendar."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.campaign import (
    DEFAULT_CAMPAIGN_FILE,
    Campaign,
    CampaignError,
    load_campaign,
)

SHIPPED_TEXT = DEFAULT_CAMPAIGN_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign()


def write_variant(tmp_path: Path, old: str, new: str) -> Path:
    """Write the shipped definition with one passage replaced."""
    assert SHIPPED_TEXT.count(old) == 1, old
    path = tmp_path / "campaign.toml"
    path.write_text(SHIPPED_TEXT.replace(old, new), encoding="utf-8")
    return path


def shipped_data() -> dict[str, Any]:
    return tomllib.loads(SHIPPED_TEXT)


def test_shipped_file_loads_by_default_and_by_path(campaign: Campaign) -> None:
    assert load_campaign(DEFAULT_CAMPAIGN_FILE) == campaign
    assert campaign.id == "yuzhou-2022"
    assert campaign.year == 2022
    assert campaign.timezone == "Asia/Shanghai"
    assert campaign.tz.key == "Asia/Shanghai"


def test_shipped_titles_are_exact(campaign: Campaign) -> None:
    assert campaign.ledger_title == (
        "禹州市巩固拓展脱贫攻坚成果行业政策落实情况“回头看”整改台账"
    )
    assert campaign.note.startswith("备注：“问题类型”指饮水安全、就业扶贫、")
    assert campaign.note.endswith("由牵头单位指定。")
    assert "完成时限精准到“日”" in campaign.note


def test_shipped_categories(campaign: Campaign) -> None:
    assert [c.key for c in campaign.categories] == [
        "housing",
        "health",
        "education",
        "water",
        "employment",
        "welfare",
        "finance",
    ]
    assert [len(c.items) for c in campaign.categories] == [5, 6, 3, 4, 3, 7, 3]
    assert sum(len(c.items) for c in campaign.categories) == 31
    assert campaign.category("finance").label == "金融扶贫"
    assert campaign.category("housing").label == "农村危房改造"
    assert campaign.category("welfare").lead_units == [
        "市民政局",
        "市人社局",
        "市残联",
        "市供电公司",
    ]


def test_shipped_phases_and_lists(campaign: Campaign) -> None:
    assert [(p.name, p.start, p.end) for p in campaign.phases] == [
        ("动员部署", date(2022, 5, 23), date(2022, 5, 30)),
        ("排查整改", date(2022, 6, 1), date(2022, 6, 20)),
        ("总结验收", date(2022, 6, 20), date(2022, 6, 25)),
    ]
    assert "5月30日" in campaign.phases[0].due
    assert campaign.first_day == date(2022, 5, 23)
    assert campaign.last_day == date(2022, 6, 25)
    assert campaign.natures == ["共性问题", "个性问题"]
    assert campaign.sources == ["自查", "部门指导", "验收抽查", "导入"]
    assert campaign.household_kinds == ["脱贫户", "监测对象", "一般农户"]


def test_shipped_units(campaign: Campaign) -> None:
    assert "褚河街道" in campaign.units.townships
    assert "市巩固拓展脱贫攻坚成果领导小组办公室" in campaign.units.departments
    assert "市巩固拓展脱贫攻坚成果调研指导组" in campaign.units.departments
    assert set(campaign.responsible_units) <= set(campaign.units.departments)
    assert campaign.responsible_units[:3] == ["市住建局", "市卫健委", "市医保局"]
    assert len(campaign.responsible_units) == len(set(campaign.responsible_units))

    units = campaign.all_units
    assert units[0] == campaign.units.townships[0]
    assert units[-1] == campaign.units.departments[-1]
    assert len(units) == len(set(units))


def test_all_units_drops_a_unit_listed_twice() -> None:
    data = shipped_data()
    data["units"]["townships"].append("市住建局")

    units = Campaign.model_validate(data).all_units

    assert units.count("市住建局") == 1
    assert units.index("市住建局") < units.index("市卫健委")


@pytest.mark.parametrize("text", ["housing", "住房保障", "农村危房改造", " 住房保障 "])
def test_category_resolves_key_name_or_label(campaign: Campaign, text: str) -> None:
    assert campaign.category(text).key == "housing"


def test_category_unknown_raises_key_error(campaign: Campaign) -> None:
    with pytest.raises(KeyError):
        campaign.category("交通保障")


@pytest.mark.parametrize(
    ("text", "nature"),
    [("共性问题", "共性问题"), ("共性", "共性问题"), ("个性", "个性问题")],
)
def test_nature_accepts_short_forms(campaign: Campaign, text: str, nature: str) -> None:
    assert campaign.nature(text) == nature


@pytest.mark.parametrize("text", ["", "问题", "普遍问题"])
def test_nature_unknown_raises_key_error(campaign: Campaign, text: str) -> None:
    with pytest.raises(KeyError):
        campaign.nature(text)


def test_campaign_weeks(campaign: Campaign) -> None:
    assert campaign.weeks.kind == "campaign"
    assert campaign.week_of(date(2022, 6, 1)) == 1
    assert campaign.week_of(date(2022, 6, 7)) == 1
    assert campaign.week_of(date(2022, 6, 8)) == 2
    assert campaign.week_of(date(2022, 5, 31)) == 0
    assert campaign.week_of(date(2022, 5, 23)) == -1
    assert campaign.week_days(1) == (date(2022, 6, 1), date(2022, 6, 7))
    assert campaign.week_days(4) == (date(2022, 6, 22), date(2022, 6, 28))
    assert campaign.report_weeks == [1, 2, 3, 4]
    # Weekly reports are owed for the weeks that begin in 排查整改 (to 6-20);
    # week 4 lies in 总结验收, which the sealed final ledger reports.
    assert campaign.owed_weeks == [1, 2, 3]


def test_week_cutoff_is_local_midnight_after_the_week(campaign: Campaign) -> None:
    cutoff = campaign.week_cutoff(1)

    assert cutoff == datetime(2022, 6, 7, 16, 0, tzinfo=UTC)
    assert cutoff.utcoffset() == timedelta(hours=8)


def test_phase_on(campaign: Campaign) -> None:
    assert campaign.phase_on(date(2022, 5, 31)) is None
    assert campaign.phase_on(date(2022, 6, 1)) == campaign.phases[1]
    assert campaign.phase_on(date(2022, 6, 20)) == campaign.phases[2]


def test_iso_weeks(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'kind = "campaign"', 'kind = "iso"')

    campaign = load_campaign(path)

    assert campaign.weeks.kind == "iso"
    # 2022-06-01 is a Wednesday; its ISO week runs from Monday 05-30.
    assert campaign.week_days(1) == (date(2022, 5, 30), date(2022, 6, 5))
    assert campaign.week_of(date(2022, 5, 30)) == 1
    assert campaign.week_of(date(2022, 6, 5)) == 1
    assert campaign.week_of(date(2022, 6, 6)) == 2
    assert campaign.report_weeks == [1, 2, 3, 4]


def test_iso_weeks_run_on_across_new_year() -> None:
    data = shipped_data()
    data["phases"] = [
        {"name": "排查整改", "start": date(2022, 12, 26), "end": date(2023, 1, 15)}
    ]
    data["weeks"] = {"kind": "iso", "first_day": date(2022, 12, 28)}

    campaign = Campaign.model_validate(data)

    # ISO numbering restarts at 1 on 2023-01-02; report weeks must not.
    assert campaign.week_of(date(2023, 1, 2)) == 2
    assert campaign.week_days(2) == (date(2023, 1, 2), date(2023, 1, 8))
    assert campaign.report_weeks == [1, 2, 3]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        pytest.param(
            "start = 2022-06-01", 'start = "六月一日"', "phases.1.start", id="bad-date"
        ),
        pytest.param(
            "end = 2022-05-30",
            "end = 2022-05-20",
            "phases.0.end",
            id="end-before-start",
        ),
        pytest.param(
            "start = 2022-06-20",
            "start = 2022-06-10",
            "phases.2.start",
            id="phases-overlap",
        ),
        pytest.param(
            'key = "finance"', 'key = "water"', "categories.6.key", id="duplicate-key"
        ),
        pytest.param(
            'name = "金融政策落实"',
            'name = "住房保障"',
            "categories.6.name",
            id="duplicate-name",
        ),
        pytest.param(
            'label = "金融扶贫"',
            'label = "健康保障"',
            "categories.6.label",
            id="label-is-another-name",
        ),
        pytest.param(
            'key = "finance"', 'key = "金融"', "categories.6.key", id="key-not-ascii"
        ),
        pytest.param(
            'lead_units = ["市水利局"]',
            'lead_units = ["市水务局"]',
            "categories.3.lead_units",
            id="lead-unit-not-a-department",
        ),
        pytest.param(
            'lead_units = ["市水利局"]',
            "lead_units = []",
            "categories.3.lead_units",
            id="no-lead-unit",
        ),
        pytest.param(
            'lead_units = ["市住建局"]',
            'lead_units = ["市住建局", "市住建局"]',
            "categories.0.lead_units",
            id="lead-unit-twice",
        ),
        pytest.param(
            "first_day = 2022-06-01",
            "first_day = 2022-07-01",
            "weeks.first_day",
            id="week-one-outside-campaign",
        ),
        pytest.param(
            'kind = "campaign"', 'kind = "monthly"', "weeks.kind", id="bad-week-kind"
        ),
        pytest.param(
            'natures = ["共性问题", "个性问题"]',
            "natures = []",
            "natures",
            id="no-nature",
        ),
        pytest.param(
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia/Yuzhou"',
            "timezone",
            id="unknown-timezone",
        ),
        pytest.param("year = 2022", 'year = "二〇二二"', "year", id="year-not-number"),
        pytest.param(
            '    "山货回族乡",\n',
            '    "山货回族乡",\n    "褚河街道",\n',
            "units.townships",
            id="township-twice",
        ),
        pytest.param(
            'receiving = ["市巩固拓展脱贫攻坚成果领导小组办公室", "市巩固拓展脱贫攻坚成果调研指导组"]',
            'receiving = ["市巩固拓展脱贫攻坚成果领导小组办公室", "市督查组"]',
            "units.receiving",
            id="receiving-unit-not-a-department",
        ),
    ],
)
def test_broken_definition_names_the_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = write_variant(tmp_path, old, new)

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    assert caught.value.path == path
    assert caught.value.field == field
    assert caught.value.problem
    assert str(path) in str(caught.value)


def test_category_without_items_is_refused() -> None:
    data = shipped_data()
    data["categories"][2]["items"] = []

    with pytest.raises(ValueError, match="at least 1 item"):
        Campaign.model_validate(data)


def test_empty_items_are_refused_with_location(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    start = SHIPPED_TEXT.index("items = [", SHIPPED_TEXT.index('key = "education"'))
    end = SHIPPED_TEXT.index("]\n", start) + 1
    path.write_text(
        SHIPPED_TEXT[:start] + "items = []" + SHIPPED_TEXT[end:], encoding="utf-8"
    )

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    assert caught.value.field == "categories.2.items"


def test_no_categories_is_refused() -> None:
    data = shipped_data()
    data["categories"] = []

    with pytest.raises(ValueError, match="at least 1 item"):
        Campaign.model_validate(data)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    """A misspelt key must not be silently ignored."""
    path = write_variant(tmp_path, "ledger_title =", "ledger_titel =")

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    fields = [field for field, _ in caught.value.problems]
    assert fields == ["ledger_title", "ledger_titel"]
    assert caught.value.field == "ledger_title"


def test_toml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = write_variant(tmp_path, "year = 2022", "year = = 2022")
    line = SHIPPED_TEXT[: SHIPPED_TEXT.index("year = 2022")].count("\n") + 1

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    assert caught.value.path == path
    assert caught.value.field == ""
    assert caught.value.line == line
    assert f"line {line}" in caught.value.problem


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    assert caught.value.path == path
    assert caught.value.field == ""
    assert caught.value.problem == "file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(CampaignError) as caught:
        load_campaign(tmp_path)

    assert caught.value.path == tmp_path
    assert caught.value.field == ""


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "campaign.toml"
    path.write_bytes(SHIPPED_TEXT.encode("gb18030"))

    with pytest.raises(CampaignError) as caught:
        load_campaign(path)

    assert caught.value.field == ""
    assert "UTF-8" in caught.value.problem


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    """Notepad saves UTF-8 with a BOM; that alone must not break loading."""
    path = tmp_path / "campaign.toml"
    path.write_bytes(SHIPPED_TEXT.encode("utf-8-sig"))

    assert load_campaign(path).id == "yuzhou-2022"


def test_campaign_is_frozen(campaign: Campaign) -> None:
    with pytest.raises(ValueError):
        setattr(campaign, "year", 2023)  # noqa: B010 - the point is the runtime check
