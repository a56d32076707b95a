"""The figures that are not in Slack (#22): calls handled, complaints received (and how many were about safety),
training attended and expected. The safety officer gives them per month (`safeshift figures import FILE.csv`); until
given, the indicators that need them are `missing`, never 0.

CSV: a header `month,key,value` and one line per figure (`2026-11,calls_handled,48211`).
"""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from storage.models import MonthlyFigure

KEYS = ("calls_handled", "complaints_received", "safety_complaints", "training_attended", "training_expected")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class FigureError(ValueError):
    pass


def values(s, month: str) -> dict[str, float]:
    return {k: v for k, v in s.execute(select(MonthlyFigure.key, MonthlyFigure.value)
                                       .where(MonthlyFigure.month == month)).all()}


def parse(text: str) -> list[tuple[str, str, float]]:
    """[(month, key, value)] or FigureError naming the line: an unknown key, a bad month, a negative or non-number
    value, or a month's `safety_complaints` above its `complaints_received` are refused (nothing is written)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [c.strip().lower() for c in rows[0]] != ["month", "key", "value"]:
        raise FigureError("line 1: the header must be month,key,value")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 3:
            raise FigureError(f"line {n}: three columns expected")
        month, key, raw = (c.strip() for c in row)
        if not _MONTH.match(month):
            raise FigureError(f"line {n}: month {month!r} is not YYYY-MM")
        if key not in KEYS:
            raise FigureError(f"line {n}: unknown key {key!r} (one of {', '.join(KEYS)})")
        try:
            value = float(raw)
        except ValueError:
            raise FigureError(f"line {n}: {raw!r} is not a number") from None
        if not (value >= 0 and value < 1e12):
            raise FigureError(f"line {n}: {raw!r} is out of range")
        out.append((month, key, value))
    given = {(m, k): v for m, k, v in out}
    for (m, k), v in given.items():
        if k == "safety_complaints" and v > given.get((m, "complaints_received"), float("inf")):
            raise FigureError(f"{m}: safety_complaints ({v:g}) exceeds complaints_received")
    return out


def store(s, rows: list[tuple[str, str, float]], by: str, now) -> int:
    """Write the figures (a month's key given again is replaced) in the caller's transaction, with an audit row."""
    from storage.models import AuditEvent

    for month, key, value in rows:
        row = s.get(MonthlyFigure, (month, key))
        if row is None:
            s.add(MonthlyFigure(month=month, key=key, value=value, given_by=by, given_at=now))
        else:
            row.value, row.given_by, row.given_at = value, by, now
    s.add(AuditEvent(at=now, actor=by, action="figures_given", before=None,
                     after={"figures": [[m, k, v] for m, k, v in rows]}, note=""))
    return len(rows)
