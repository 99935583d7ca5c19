"""Search keys: the text of a row plus the pinyin initials of its Chinese words."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from domain.state import FindingState


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Return the pinyin initials of the Chinese characters in text (市住建局 -> szjj).

    Characters without a reading (digits, Latin letters, punctuation) are kept
    lower-cased, so mixed text still matches as typed.
    """
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()


def search_key(state: FindingState, extra: Iterable[str] = ()) -> str:
    """Build the lower-cased text a free-text query is matched against."""
    texts = [
        state.reporting_unit,
        state.nature,
        str(state.status),
        state.statement,
        state.measures,
        state.responsible_unit,
        state.responsible_leader,
        state.cause,
        state.village,
        state.household_head,
        *extra,
    ]
    words = [t for t in texts if t]
    return "\n".join([*(w.lower() for w in words), *(initials(w) for w in words)])
