"""Keep wide characters whole where a widget lies over others (a dropdown, a toast).

Textual's compositor cuts every screen line at the edges of every widget on
it, covered or not, and divides each widget's line at those cuts; a Chinese
character astride a cut is split into two spaces (rich's Segment.split_cells).
So a dropdown open over the arrow of the select below it lost "牌，" from
an option (Textual issue #6357, open for Textual 8). Here a widget's line is
divided only where another widget in front of it takes over; the buckets it
owns past the first of a run get an empty strip, and a partial update is
told where each strip really ends. Once Textual fixes the issue, this
module and its call in tui.app go.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from textual.geometry import Region
from textual.strip import Strip

log = logging.getLogger(__name__)

_EMPTY = Strip([], 0)


def _render_chops(
    self: Any, crop: Region, is_rendered_line: Callable[[int], bool]
) -> Sequence[Mapping[int, Strip]]:
    """Textual's Compositor._render_chops, not dividing a widget's line inside a run
    of buckets it paints itself."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(line[:-1]) for line in cuts]
    for region, clip, strips in self._get_renders(crop):
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            own = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            # Painting front to back: a bucket still empty is this widget's.
            free = [line.get(cut) is None for cut in own[:-1]]
            inner = enumerate(own[1:-1], 1)
            starts = [own[0]] + [c for i, c in inner if not (free[i - 1] and free[i])]
            pieces = strip.divide([cut - render_x for cut in starts[1:] + own[-1:]])
            for start, piece in zip(starts, pieces):
                if line.get(start) is None:
                    line[start] = piece
            for cut, empty in zip(own, free):
                if empty and line.get(cut) is None:
                    line[cut] = _EMPTY  # covered by the piece of the run it is in
    return chops  # type: ignore[return-value]


def _true_ends(update: Any) -> Any:
    """Set a partial update's chop ends to where each strip ends, a run's included."""
    if update is not None:
        update.chop_ends = [
            [x + strip.cell_length if strip is not None else end
             for (x, strip), end in zip(line.items(), ends)]
            for line, ends in zip(update.chops, update.chop_ends)
        ]
    return update


def keep_wide_glyphs_whole() -> None:
    """Put the two compositor methods above in place of Textual's own.

    A Textual whose compositor has moved or changed shape keeps its own
    (logged): characters may then be lost under overlays, nothing else.
    """
    try:
        from textual._compositor import Compositor

        partial = Compositor.render_partial_update
        if getattr(partial, "keeps_wide_glyphs", False):
            return
        if not hasattr(Compositor, "_render_chops"):
            raise AttributeError("Compositor._render_chops")

        def render_partial_update(self: Any) -> Any:
            return _true_ends(partial(self))

        render_partial_update.keeps_wide_glyphs = True  # type: ignore[attr-defined]
        Compositor._render_chops = _render_chops  # type: ignore[method-assign]
        Compositor.render_partial_update = (  # type: ignore[method-assign]
            render_partial_update
        )
    except (ImportError, AttributeError):
        log.warning("wide characters under overlays left to Textual", exc_info=True)
