"""Durations as the policy writes them: `45s`, `30m`, `2h`, `3d`, `1w`, `15wd` (working days).

Working days follow mainland China's official calendar (holidays and the swapped
working weekends): `bot.workdays`, the organisation's `calendar` (`Organisation.calendar`)
where one is passed, else the package's data alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.workdays import DEFAULT, WorkCalendar

_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Duration:
    seconds: float = 0.0
    working_days: int = 0
    text: str = ""

    def __str__(self) -> str:
        return self.text

    def add_to(self, start: dt.datetime, tz: ZoneInfo, calendar: WorkCalendar | None = None) -> dt.datetime:
        """The moment this long after `start` (aware). Working days count in `tz` on `calendar`."""
        if self.working_days:
            local = start.astimezone(tz)
            day = (calendar or DEFAULT).add_working_days(local.date(), self.working_days)
            end = dt.datetime.combine(day, local.time(), tzinfo=tz)
            return end.astimezone(dt.timezone.utc)
        return start + dt.timedelta(seconds=self.seconds)

    @property
    def timedelta(self) -> dt.timedelta:
        if self.working_days:
            raise ValueError("a working-day duration has no fixed length")
        return dt.timedelta(seconds=self.seconds)


def parse_duration(value: str | int | float) -> Duration:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Duration(seconds=float(value), text=f"{value}s")
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    m = _RE.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (write 45s, 30m, 2h, 3d, 1w or 15wd)")
    number, unit = m.groups()
    if unit == "wd":
        if "." in number:
            raise ValueError(f"working days must be whole: {value!r}")
        return Duration(working_days=int(number), text=value.strip())
    return Duration(seconds=float(number) * _UNIT_SECONDS[unit], text=value.strip())


def is_working_day(day: dt.date, calendar: WorkCalendar | None = None) -> bool:
    return (calendar or DEFAULT).is_working_day(day)
