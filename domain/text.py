"""What free text the ledger takes: no hidden controls, no more than one cell holds."""

from __future__ import annotations

import unicodedata

# The most UTF-16 code units one spreadsheet cell holds (Excel counts that way,
# so a character beyond the BMP, an emoji say, takes two).
CELL_LIMIT = 32_767

# Characters kept although they are controls: tab and line breaks.
_ALLOWED_CONTROLS = frozenset("\t\n\r")

# Embeddings, overrides and isolates make text display in another order than it
# is stored ("Trojan Source"); in an evidence ledger that hides what was written.
# The plain marks LRM/RLM/ALM only nudge neutral characters and are kept.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Not XML characters, so no workbook can hold them.
_NONCHARACTERS = frozenset("\ufffe\uffff")


def cell_length(text: str) -> int:
    """Count text the way a spreadsheet cell's limit does: in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def forbidden_character(text: str) -> tuple[int, str] | None:
    """Return the first character the ledger refuses, with its 1-based position.

    Refused: control characters other than tab and line breaks (NUL, BEL,
    escape sequences, C1 controls), unpaired surrogates (bytes that were not
    valid text), the two noncharacters U+FFFE/U+FFFF, and bidirectional
    embeddings, overrides and isolates. Zero-width characters, direction marks,
    emoji and private-use characters are ordinary text and are kept.
    """
    for index, char in enumerate(text, 1):
        category = unicodedata.category(char)
        if category == "Cc" and char not in _ALLOWED_CONTROLS:
            return index, char
        if category == "Cs" or char in _NONCHARACTERS or char in _BIDI_CONTROLS:
            return index, char
    return None
