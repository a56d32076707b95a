"""When notices of non-urgent levels may go out (policy `working_hours`)."""

from __future__ import annotations

import datetime as dt

from bot.policy import Organisation


def _hhmm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


SHIFT_LOOKAHEAD = 9  # days searched for a team's next shift (a weekly pattern, with a long holiday around it)


def next_working_moment(org: Organisation, moment: dt.datetime, team: str | None = None) -> dt.datetime:
    """`moment` if it falls in working hours, else the start of the next working period (aware UTC). With `team`
    and `working_hours.teams: shifts`, whenever one of the team's shifts runs counts as working too (#21)."""
    fixed = _fixed(org, moment)
    found = next((t for t in org.teams if t.name == team), None) if team else None
    if found is None or not found.shifts or org.policy.working_hours.teams != "shifts":
        return fixed
    on_shift = _next_on_shift(org, found, moment)
    return min(fixed, on_shift) if on_shift is not None else fixed


def _next_on_shift(org: Organisation, team, moment: dt.datetime) -> dt.datetime | None:
    """`moment` if one of the team's shifts runs then, else the next start of one of them (None: none ahead)."""
    tz, at = org.tz, moment.astimezone(dt.timezone.utc)
    first = moment.astimezone(tz).date() - dt.timedelta(days=1)  # a shift that began yesterday may still run
    starts = []
    for n in range(SHIFT_LOOKAHEAD):
        day = first + dt.timedelta(days=n)
        for shift in team.shifts:
            if shift.days != "every_day" and not org.workdays.is_working_day(day):
                continue
            begin = dt.datetime.combine(day, _hhmm(shift.start), tzinfo=tz).astimezone(dt.timezone.utc)
            end = begin + shift.length()
            if begin <= at < end:
                return at
            if begin > at:
                starts.append(begin)
    return min(starts) if starts else None


def _fixed(org: Organisation, moment: dt.datetime) -> dt.datetime:
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
