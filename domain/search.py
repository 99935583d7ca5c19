"""Search keys: the text of a row plus the pinyin initials of its Chinese words."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from domain.state import FindingState

# Large enough for a county's ledger: a finding's versions repeat its texts,
# and pinyin is the slowest part of folding an event.
CACHED = 1 << 16
# Texts whose initials are kept: a province's findings hold some 400,000, and
# a refold that forgot them between a finding's versions would cut each text
# into words again and again. `forget` empties the caches after a refold.
TEXTS_CACHED = 1 << 19


@lru_cache(maxsize=TEXTS_CACHED)
def initials(text: str) -> str:
    """Return the pinyin initials of the Chinese characters in text (市住建局 -> szjj).

    Characters without a reading (digits, Latin letters, punctuation) are kept
    lower-cased, so mixed text still matches as typed.
    """
    # Loaded on first use: its dictionaries take a fifth of a second to read,
    # which opening a ledger whose view is level never needs.
    from pypinyin.seg.mmseg import seg

    # Cut into words as pypinyin itself does, then convert each word once:
    # statements share most of their words, and converting was most of the
    # cost of folding a large log.
    return "".join(_word_initials(word) for word in seg.cut(text)).lower()


@lru_cache(maxsize=CACHED)
def _word_initials(word: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(word, style=Style.FIRST_LETTER))


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
    return _key(tuple(t for t in texts if t))


@lru_cache(maxsize=CACHED)
def _key(words: tuple[str, ...]) -> str:
    return "\n".join([*(w.lower() for w in words), *(initials(w) for w in words)])


def forget() -> None:
    """Empty the caches, which a whole log's refold fills, to give the memory back."""
    initials.cache_clear()
    _key.cache_clear()
