"""Horizontal bars drawn with block characters, for the screens and the command line."""

from __future__ import annotations

# Eighths of a cell, from one eighth to a full block.
EIGHTHS = "▏▎▍▌▋▊▉█"


def bar(value: int, top: int, width: int) -> str:
    """Draw `value` as a bar of at most `width` cells, `top` filling them all.

    A value above zero always shows at least one eighth, so a small count is
    never drawn as nothing.
    """
    if value <= 0 or top <= 0 or width <= 0:
        return ""
    eighths = max(1, round(min(value, top) * width * 8 / top))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest - 1] if rest else "")
