"""User text as it may be stored and shown: trimmed, without invisible tricks, personal numbers masked.

Everything a person types reaches SafeShift's use cases through `clean_text`: ID-card, bank-card and mobile
numbers are masked here (`bot.masking.mask`), before anything is stored, logged or repeated back (§3.3.1).
Nobody in the workflow needs them back; the database never holds them in clear.
"""

from __future__ import annotations

import re
import unicodedata

from bot.masking import mask

# Zero-width characters and bidirectional embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069):
# they can hide or reverse what a report says ("Trojan Source"). The zero-width joiner is handled apart.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069\u200e\u200f"), None)
_ZWJ = "\u200d"
_NUMBER_RE = re.compile(r"^([A-Z]{1,6})-(\d{4})-(\d{3,10})$")


def _emoji_like(ch: str) -> bool:
    """Part of an emoji sequence: a pictograph, a skin-tone modifier or a variation selector."""
    if not ch:
        return False
    cat = unicodedata.category(ch)
    return cat in ("So", "Sk") or ch in ("\ufe0f", "\u20e3") or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _keep_emoji_joiners(s: str) -> str:
    """Drop zero-width joiners except between two parts of an emoji sequence (👩‍🚒 stays one emoji)."""
    if _ZWJ not in s:
        return s
    out = []
    for i, ch in enumerate(s):
        if ch == _ZWJ and not (i > 0 and _emoji_like(s[i - 1]) and i + 1 < len(s) and _emoji_like(s[i + 1])):
            continue
        out.append(ch)
    return "".join(out)


def clean_text(value: object) -> str:
    """Trim; drop invisible and direction-changing characters and controls other than newline and tab; mask
    ID-card, bank-card and mobile numbers (after the invisible characters are gone: a zero-width space inside a
    number hides nothing)."""
    if value is None:
        return ""
    s = _keep_emoji_joiners(str(value).translate(_INVISIBLE))
    s = "".join(ch for ch in s if ch in "\n\t" or (ord(ch) >= 32 and not 0x7F <= ord(ch) < 0xA0))
    return mask(s.strip())


ROW_ID_MAX = 2**31 - 1  # an SQL INTEGER key: a larger number names no row of ours (PostgreSQL would refuse it)


def parse_row_id(value: object) -> int | None:
    """A row id as a button's value or a person types it ("7", "#7"): ASCII digits, 1..ROW_ID_MAX, else None
    (full-width or superscript digits, signs, spaces inside, a number too large: none of them is an id)."""
    text = clean_text(value).lstrip("#")
    if not text or len(text) > len(str(ROW_ID_MAX)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= ROW_ID_MAX else None


def parse_number(text: object) -> str | None:
    """A report number like HZ-2026-00042 (any case, surrounding space ignored), or None."""
    candidate = clean_text(text).upper()
    return candidate if _NUMBER_RE.match(candidate) else None


_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{1,31}")  # fits the 32-character id columns


def slack_id(value: object, kinds: str) -> str | None:
    """`value` if it is a Slack id of one of `kinds` (first letters: "UW" people, "CGD" conversations), else None.
    Ids that arrive inside a form's private_metadata are only what the form says: check them before storing."""
    if isinstance(value, str) and value[:1] in kinds and _SLACK_ID.fullmatch(value):
        return value
    return None
