"""Personal data kept out of channels (§3.3): ID-card, bank-card and mobile numbers.

- Mainland resident ID: 18 characters, 17 digits + check (digit or X), ISO 7064 MOD 11-2.
- Bank card: 15–19 digits passing the Luhn check.
- Mainland mobile: 1[3-9] + 9 digits (an 86 / +86 prefix is kept).

Numbers are found in the forms people type: contiguous, in groups separated by spaces, dots or
dashes (`110105 19491231 002X`, `138.1234.5678`, `6222-0212-3456-7890-128`), in full-width
digits (`１３８１２３４５６７８`), and glued to letters (`sfz11010519491231002X`, `tel13812345678`).
A number is never cut out of a longer run of digits, an ID also carries a real birth date, and
grouped numbers must look like what they claim to be (a grouped card is in fours, or 4-6-5; a
grouped mobile is 3-4-4 or 3-8), so order numbers, dates, times and room numbers stay readable.
Everything SafeShift posts to Slack passes through `mask`, and typed text is stored masked (`bot.text.clean_text`);
a Slack message permalink (its 16-digit ts) is left whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# One character for one character (positions stay valid): full-width digits, X and separators.
_HALF_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_HALF_WIDTH.update({0xFF38: ord("X"), 0xFF58: ord("x"), 0x3000: ord(" "), 0xFF0E: ord("."), 0xFF0D: ord("-"),
                    0x2010: ord("-"), 0x2011: ord("-"), 0x2012: ord("-"), 0x2013: ord("-"), 0x2212: ord("-"),
                    0x00A0: ord(" "), 0x2007: ord(" "), 0x202F: ord(" "), 0x30FB: ord("·"), 0xFF65: ord("·")})

# A group is a run of ASCII digits; groups are joined by 1–3 blanks or one dot/dash/middle dot (blanks around it
# allowed). An X may close the last group (the ID check character). Digits next to the run end it: never split.
_SEP = r"(?:[ \t]{1,3}|[ \t]?[.\-·][ \t]?)"
_RUN_RE = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEP}[0-9]+)*(?:[Xx](?![0-9]))?(?![0-9])")
_GROUP_RE = re.compile(r"[0-9]+[Xx]?")


def valid_id_card(s: str) -> bool:
    if len(s) != 18 or not (s[:17].isascii() and s[:17].isdigit()):
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


def _birth_date_ok(s: str) -> bool:
    try:
        born = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def _mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"


def _kind(digits: str, sizes: tuple[int, ...]) -> str | None:
    """What the digits of one or more whole groups (their `sizes`) are: 'id', 'card', 'mobile' or None."""
    grouped = len(sizes) > 1
    if len(digits) == 18 and valid_id_card(digits) and _birth_date_ok(digits):
        return "id"
    if digits[-1] in "Xx":
        return None
    if 15 <= len(digits) <= 19 and luhn(digits) and (
            not grouped or sizes == (4, 6, 5) or (all(n == 4 for n in sizes[:-1]) and 1 <= sizes[-1] <= 4)):
        return "card"
    if _mobile(digits) and (not grouped or sizes in ((3, 4, 4), (3, 8))):
        return "mobile"
    if not grouped and len(digits) == 13 and digits.startswith("86") and _mobile(digits[2:]):
        return "mobile86"
    return None


def _masked(kind: str, digits: str) -> str:
    if kind == "id":
        return digits[:3] + "*" * 11 + digits[-4:].upper()
    if kind == "card":
        return "**** **** **** " + digits[-4:]
    if kind == "mobile86":
        return "86" + _masked("mobile", digits[2:])
    return f"{digits[:3]}****{digits[-4:]}"


def _mask_run(text: str, start: int, run: str, out: list[str], pos: int) -> int:
    """Append to `out` the text from `pos` through this run, personal numbers masked; the new position."""
    groups = [(start + m.start(), start + m.end(), m.group()) for m in _GROUP_RE.finditer(run)]
    found = []  # (start index, end index, kind) over groups
    for i in range(len(groups)):
        digits, sizes = "", ()
        for j in range(i, len(groups)):
            digits += groups[j][2]
            sizes += (len(groups[j][2]),)
            if len(digits) > 19 or (digits[-1] in "Xx" and j < len(groups) - 1):
                break
            kind = _kind(digits, sizes)
            if kind:
                found.append((i, j, kind, digits))
    # The longest numbers first, then the earliest; never overlapping.
    taken: list[tuple[int, int, str, str]] = []
    for cand in sorted(found, key=lambda c: (-len(c[3]), c[0])):
        if all(cand[1] < t[0] or cand[0] > t[1] for t in taken):
            taken.append(cand)
    for i, j, kind, digits in sorted(taken):
        out.append(text[pos:groups[i][0]])
        out.append(_masked(kind, digits))
        pos = groups[j][1]
    return pos


# A Slack message permalink carries the message's ts as 16 digits (`/p1700000000123456`): a time, not a number of
# a person; masking it would break the link (the message shortcuts put one into the report they prefill).
_PERMALINK_RE = re.compile(r"https://[A-Za-z0-9-]+\.slack\.com/archives/[A-Z0-9]+/p[0-9]{16}(?![0-9])")


def mask(text: str | None) -> str:
    if not text:
        return ""
    if "slack.com/archives/" in text:
        parts, pos = [], 0
        for m in _PERMALINK_RE.finditer(text):
            parts += [_mask_plain(text[pos:m.start()]), m.group()]
            pos = m.end()
        return "".join(parts) + _mask_plain(text[pos:])
    return _mask_plain(text)


def _mask_plain(text: str) -> str:
    if not text:
        return ""
    plain = text.translate(_HALF_WIDTH)  # same length: positions are the original's
    out: list[str] = []
    pos = 0
    for m in _RUN_RE.finditer(plain):
        if sum(c.isdigit() for c in m.group()) < 11:  # too short to be any of them
            continue
        pos = _mask_run(text, m.start(), m.group(), out, pos)
    out.append(text[pos:])
    return "".join(out)


class MaskingFilter(logging.Filter):
    """A log filter that masks the numbers in a record's message (its arguments merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: leave the record to logging's own handling
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def quiet_slack_logger(name: str = "slack_bolt.App") -> logging.Logger:
    """The logger to give Slack's Bolt `App(logger=...)`: at INFO or above whatever the root level, its records
    masked. Bolt copies its level and filters into every listener's logger; left to itself it takes the root's
    level, and at DEBUG it logs whole request and response bodies (what people typed)."""
    logger = logging.getLogger(name)
    logger.setLevel(max(logging.getLogger().getEffectiveLevel(), logging.INFO, logger.level))
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger
