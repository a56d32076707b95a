"""The year-end rule (§3.6.3, #24): "annual appraisal failed → no promotion; two years running → moved off the
hotline". A person's annual safety score is the mean of the year's twelve monthly scores (bot/violations/appraisal.py);
under `appraisal.year_end.pass_mark` the year is failed. Everyone of a team (supervisors and members) is judged.

Listed in January (`appraisal.year_end.day`, `time`) for the year before, to the leadership channel: who failed and
what follows, never anyone's score (a score is the person's own; the ledger's group asks `/appraisal @person`).
`safeshift report yearly --year 2026` prints the same with the scores, for the operator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

from bot import i18n
from bot.violations.appraisal import score

JOB = "appraisal_year_end"


@dataclass
class YearRow:
    person: str
    team: str
    score: float  # the year's mean monthly safety score
    before: float  # the year before's
    outcome: str  # "" (passed) | "no_promotion" | "off_hotline"


def annual(ctx, s, person: str, year: int) -> float:
    return round(sum(score(ctx, s, person, f"{year}-{m:02d}").score for m in range(1, 13)) / 12, 1)


def year_end(ctx, s, year: int) -> list[YearRow]:
    mark = ctx.org.policy.appraisal.year_end.pass_mark
    out, seen = [], set()
    for team in ctx.org.teams:
        for person in dict.fromkeys(team.supervisors + team.members):
            if person in seen:
                continue
            seen.add(person)
            now, before = annual(ctx, s, person, year), annual(ctx, s, person, year - 1)
            outcome = "" if now >= mark else ("off_hotline" if before < mark else "no_promotion")
            out.append(YearRow(person, team.name, now, before, outcome))
    return out


def lines(ctx, rows: list[YearRow], year: int, locale: str, plain: bool = False) -> list[str]:
    """The list as mrkdwn lines (Slack: mentions, no score) or `plain` text with the scores (the operator's)."""
    mark = ctx.org.policy.appraisal.year_end.pass_mark
    t = i18n.tp if plain else i18n.t
    out = [t(locale, "appraisal.year_title", year=year, mark=f"{mark:g}")]
    failed = [r for r in rows if r.outcome]
    for r in sorted(failed, key=lambda r: (r.outcome != "off_hotline", r.team, r.person)):
        out.append(t(locale, "appraisal.year_line", person=r.person if plain else i18n.mention(r.person),
                     team=r.team, outcome=i18n.tp(locale, f"appraisal.year_{r.outcome}"), scores=plain,
                     score=f"{r.score:.1f}", before=f"{r.before:.1f}", last=year - 1))
    out.append(t(locale, "appraisal.year_passed", n=len(rows) - len(failed), total=len(rows)))
    return out


def triggers(org) -> dict:
    y = org.policy.appraisal.year_end
    h, m = (int(x) for x in y.time.split(":"))
    return {JOB: CronTrigger(month=1, day=y.day, hour=h, minute=m, timezone=org.tz)}


def catch_up(org, job: str) -> dt.timedelta:
    return org.policy.appraisal.year_end.catch_up.timedelta


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """The year before `scheduled_for`'s, to the leadership channel (claimed once: bot/jobs.py)."""
    if job != JOB:
        raise KeyError(job)
    year = scheduled_for.astimezone(ctx.org.tz).year - 1
    locale = ctx.org.locale
    body = lines(ctx, year_end(ctx, s, year), year, locale)
    text = f"*{body[0]}*\n" + "\n".join(str(x) for x in body[1:])
    # Personnel decisions (§3.6.3): the leadership channel, or each member of the leadership group by DM when the
    # organisation has no such channel; never the safety channel, which everyone reads.
    targets = [ctx.org.channels.leadership] if ctx.org.channels.leadership else ctx.directory.people("leadership")
    return [{"channel": target, "unfurl_links": False,
             "text": i18n.tp(locale, "appraisal.year_fallback", year=year),
             "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]} for target in targets]


def text(ctx, year: int | None = None) -> str:
    """`safeshift report yearly [--year]`: the list with the scores (the year before this one by default)."""
    from storage.db import read_scope

    year = year or ctx.clock.now().astimezone(ctx.org.tz).year - 1
    with read_scope(ctx.engine) as s:
        return "\n".join(lines(ctx, year_end(ctx, s, year), year, ctx.org.locale, plain=True))
