"""Pilot test helpers: type any text, pick select options by keys, read what shows."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.geometry import Region
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Select


def shown_strips(widget: Widget) -> list[Strip]:
    """The lines a widget draws, padding included.

    Over its outer size: `size` is the content's, and a region of that size
    cuts off as many cells at each line's end as the padding takes at its start.
    """
    width, height = widget.outer_size
    return widget.render_lines(Region(0, 0, width, height))


def shown_lines(widget: Widget) -> list[str]:
    """The lines a widget draws, padding included, as text."""
    return [strip.text for strip in shown_strips(widget)]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type text into the focused widget one key at a time.

    Pilot.press drops full-width punctuation (，。（）“”) because it cannot
    name those keys; a terminal sends them as key events carrying the
    character, which is what this does.
    """
    for char in text:
        key = char if char.isalnum() and char.isascii() else _character_to_key(char)
        pilot.app.post_message(events.Key(key, char))
    await pilot.pause()


async def choose(pilot: Pilot[Any], selector: str, label: str) -> None:
    """Open a select with Enter and move to the option with this label."""
    select = pilot.app.screen.query_one(selector, Select)
    options = select._options  # noqa: SLF001 - the blank option comes first
    labels = [str(option[0]) for option in options]
    values = [option[1] for option in options]
    target = labels.index(label)
    current = values.index(select.value)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    step = "down" if target > current else "up"
    for _ in range(abs(target - current)):
        await pilot.press(step)
    await pilot.press("enter")
    await pilot.pause()
    assert select.value == values[target], f"{selector} did not take {label}"
