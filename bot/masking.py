"""Personal data kept out of channels (§3.3): ID-card, bank-card and mobile numbers.

- Mainland resident ID: 18 characters, 17 digits + check (digit or X), ISO 7064 MOD 11-2.
- Bank card: 15–19 digits (spaces or dashes allowed) passing the Luhn check.
- Mainland mobile: 1[3-9] + 9 digits.
Everything SafeShift posts to Slack passes through `mask`.
"""

from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![\d])(\d(?:[ -]?\d){14,18})(?![\d])")
_MOBILE_RE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![\d])")


def valid_id_card(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_id(m: re.Match) -> str:
    s = m.group(1)
    return s[:3] + "*" * 11 + s[-4:] if valid_id_card(s) else s


def _mask_card(m: re.Match) -> str:
    raw = m.group(1)
    digits = re.sub(r"[ -]", "", raw)
    if 15 <= len(digits) <= 19 and luhn(digits):
        return "**** **** **** " + digits[-4:]
    return raw


def _mask_mobile(m: re.Match) -> str:
    return f"{m.group(1)}****{m.group(3)}"


def mask(text: str | None) -> str:
    if not text:
        return ""
    out = _ID_RE.sub(_mask_id, text)
    out = _CARD_RE.sub(_mask_card, out)
    out = _MOBILE_RE.sub(_mask_mobile, out)
    return out
