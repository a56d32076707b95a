"""Training participation (#23; §6.2.1 安全培训参与率 100%), published for the indicators (bot/indicators/compute.py):
for a local calendar month, each person's sessions attended of those they were expected at, by team and for the
department. A session counts once its roster is saved (the roster is the record: a roster never saved says nothing
about who came); the people expected are the roster's, as they stood on the day. Sessions recorded by hand with
`/training record` add hours to a person's record but expect nobody, so they do not count here.

A month holds a few rosters (the weekly team study per team, the monthly study, a lecture): one indexed range
read, counted in Python (the people lists are JSON)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from storage.models import TrainingRoster


@dataclass
class Participation:
    month: str
    people: dict[str, list[int]] = field(default_factory=dict)  # user -> [attended, expected]
    teams: dict[str, list[int]] = field(default_factory=dict)  # team -> [attended, expected] (a person's team today)
    attended: int = 0
    expected: int = 0

    def share(self) -> float | None:
        """Percent of the department's expected attendances that happened; None when nobody was expected."""
        return round(100.0 * self.attended / self.expected, 1) if self.expected else None


def bounds(month: str) -> tuple[dt.date, dt.date]:
    y, m = (int(x) for x in month.split("-"))
    return dt.date(y, m, 1), dt.date(y + (m == 12), m % 12 + 1, 1)


def for_month(ctx, s, month: str) -> Participation:
    """Attended / expected per person, team and department for `month` ("2026-11", local days)."""
    first, after = bounds(month)
    out = Participation(month)
    rows = s.execute(select(TrainingRoster.expected, TrainingRoster.attended).where(
        TrainingRoster.day >= first, TrainingRoster.day < after, TrainingRoster.status == "saved")).all()
    for expected, attended in rows:
        came = set(attended or [])
        for user in expected or []:
            hit = int(user in came)
            person = out.people.setdefault(user, [0, 0])
            person[0] += hit
            person[1] += 1
            team = ctx.directory.team_of(user)
            t = out.teams.setdefault(team.name if team else "—", [0, 0])
            t[0] += hit
            t[1] += 1
            out.attended += hit
            out.expected += 1
    return out
