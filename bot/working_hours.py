"""When notices of non-urgent levels may go out (policy `working_hours`)."""

from __future__ import annotations

import datetime as dt

from bot.policy import Organisation


def _hhmm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def next_working_moment(org: Organisation, moment: dt.datetime) -> dt.datetime:
    """`moment` if it falls in working hours, else the start of the next working period (aware UTC)."""
    wh = org.policy.working_hours
    start, end = _hhmm(wh.start), _hhmm(wh.end)
    tz = org.tz
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(400):
        ok_day = wh.days == "every_day" or org.workdays.is_working_day(day)
        if ok_day:
            day_start = dt.datetime.combine(day, start, tzinfo=tz)
            day_end = dt.datetime.combine(day, end, tzinfo=tz)
            if local < day_start:
                return day_start.astimezone(dt.timezone.utc)
            if local < day_end:
                return moment.astimezone(dt.timezone.utc)
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    return moment.astimezone(dt.timezone.utc)
