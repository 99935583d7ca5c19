"""Masking for sharing outside the office: surnames stay, names and numbers go."""

from __future__ import annotations

import pytest

from exporters.masking import mask_name, mask_number, mask_text


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王某某", "王某"),
        ("王小明", "王某"),
        ("李四", "李某"),
        ("欧阳小明", "欧阳某"),
        ("欧阳", "欧某"),
        ("王", "王"),
    ],
)
def test_a_name_keeps_its_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("410881199001011234", "410881********1234"),
        ("41088119900101123X", "410881********123X"),
        ("6222021234567890123", "622202*********0123"),
        ("13812345678", "138****5678"),
    ],
)
def test_long_numbers_lose_their_middle(number: str, masked: str) -> None:
    assert mask_text(f"号码{number}。", []) == f"号码{masked}。"
    assert mask_number(number.rstrip("X")) != number.rstrip("X")


def test_short_numbers_and_dates_stay() -> None:
    text = "2022年6月20日前完成20220620号文件第12345项"

    assert mask_text(text, []) == text


def test_every_occurrence_of_every_head_is_masked_longest_first() -> None:
    text = "王小明与王小家相邻，王小明已搬走"

    assert mask_text(text, ["王小", "王小明", " "]) == "王某与王某家相邻，王某已搬走"


def test_full_width_digits_are_numbers_too() -> None:
    assert (
        mask_text("４１０８８１１９９００１０１１２３４", [])
        == "４１０８８１********１２３４"
    )


def test_a_name_written_with_a_space_inside_is_masked_too() -> None:
    """户主 王刚 was masked, but “王 刚” in a statement aligned by hand stayed."""
    assert mask_text("王 刚低保未调整，王　刚已签字", ["王刚"]) == "王某低保未调整，王某已签字"
