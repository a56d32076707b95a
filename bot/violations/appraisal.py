"""The appraisal's safety score (安全指标, #24; §3.6.3, §4.3.2, §6.2.1), monthly per person, from what the store has:

* rectification: of the items the person does (`assigned`) due in the month, the share completed on time (never
  overdue) × 100; none due → 100; minus `per_flag` for each item of a team they supervise flagged (§4.3.2: the
  second overdue item in a row marks the supervisor) due in the month;
* violations: 100 − `per_violation` × the month's ledger entries (not overturned on appeal);
* accidents: 100 − `per_accident` × the month's entries for an accident caused by negligence;

each part kept within 0–100; the safety score is their mean weighted by `appraisal.parts`, and it makes up
`appraisal.weight`% of the person's performance (the contribution). Shown to the person privately (`/appraisal`),
and to the ledger's group for anyone (`/appraisal @person`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select

from bot import i18n
from bot.directory import Directory
from storage.db import read_scope
from storage.models import RectItem, Violation

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$")


@dataclass
class Score:
    person: str
    month: str
    due: int
    on_time: int
    flagged: int
    violations: int
    accidents: int
    rectification: float
    violations_part: float
    accidents_part: float
    score: float
    contribution: float


def _clamp(x: float) -> float:
    return max(0.0, min(100.0, x))


def month_bounds(org, month: str) -> tuple[dt.datetime, dt.datetime, dt.date, dt.date]:
    y, m = (int(x) for x in month.split("-"))
    first = dt.date(y, m, 1)
    nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=org.tz).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(nxt, dt.time(), tzinfo=org.tz).astimezone(dt.timezone.utc)
    return start, end, first, nxt


def score(ctx, s, person: str, month: str) -> Score:
    pol = ctx.org.policy.appraisal
    start, end, first, nxt = month_bounds(ctx.org, month)
    items = list(s.execute(select(RectItem).where(RectItem.assigned == person, RectItem.due_at >= start,
                                                  RectItem.due_at < end)).scalars())
    on_time = sum(1 for i in items if i.completed_at is not None and i.completed_at <= i.due_at and not i.was_overdue)
    teams = [t.name for t in ctx.org.teams if person in t.supervisors]
    flagged = len(list(s.execute(select(RectItem.id).where(RectItem.team.in_(teams), RectItem.flagged.is_(True),
                                                           RectItem.due_at >= start, RectItem.due_at < end)))) \
        if teams else 0
    entries = list(s.execute(select(Violation).where(Violation.person_id == person, Violation.occurred_on >= first,
                                                     Violation.occurred_on < nxt,
                                                     Violation.appeal_status != "overturned")).scalars())
    accidents = sum(1 for v in entries if v.caused_accident)
    rect = _clamp((100.0 * on_time / len(items) if items else 100.0) - pol.per_flag * flagged)
    viol = _clamp(100.0 - pol.per_violation * len(entries))
    acc = _clamp(100.0 - pol.per_accident * accidents)
    total = round((pol.parts.rectification * rect + pol.parts.violations * viol + pol.parts.accidents * acc) / 100, 1)
    return Score(person, month, len(items), on_time, flagged, len(entries), accidents, round(rect, 1), viol, acc,
                 total, round(total * pol.weight / 100, 2))


def last_month(ctx) -> str:
    today = ctx.clock.now().astimezone(ctx.org.tz).date()
    return today.strftime("%Y-%m")


def command(ctx, user: str, text: str | None, locale: str) -> str:
    """`/appraisal [YYYY-MM]` (one's own); `/appraisal @person [YYYY-MM]` and `/appraisal team [YYYY-MM]` (every
    team's people and mean) for the group in `permissions.appraisals`."""
    words = (text or "").split()
    if words and words[0].lower() in ("team", "teams", "团队"):
        if not Directory(ctx.org).allowed(user, "appraisals", None):
            return i18n.Refusal(i18n.t(locale, "appraisal.not_allowed"))
        month = words[1] if len(words) > 1 else last_month(ctx)
        if not MONTH_RE.match(month) or not 1 <= int(month[5:]) <= 12:
            return i18n.t(locale, "appraisal.usage")
        return by_team(ctx, month, locale)
    person = user
    if words and MENTION_RE.match(words[0]):
        person = MENTION_RE.match(words[0]).group(1)
        words = words[1:]
        if person != user and not Directory(ctx.org).allowed(user, "appraisals", None):
            return i18n.Refusal(i18n.t(locale, "appraisal.not_allowed"))
    month = words[0] if words else last_month(ctx)
    m = MONTH_RE.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12 or len(words) > 1:
        return i18n.t(locale, "appraisal.usage")
    with read_scope(ctx.engine) as s:
        sc = score(ctx, s, person, month)
    return _line(ctx, sc, locale)


def _line(ctx, sc: Score, locale: str) -> str:
    pol = ctx.org.policy.appraisal
    return i18n.t(locale, "appraisal.line", person=i18n.mention(sc.person), month=sc.month, score=f"{sc.score:.1f}",
                  weight=pol.weight, contribution=f"{sc.contribution:.2f}", on_time=sc.on_time, due=sc.due,
                  flagged=sc.flagged, rectification=f"{sc.rectification:.1f}", violations=sc.violations,
                  violations_part=f"{sc.violations_part:.0f}", accidents=sc.accidents,
                  accidents_part=f"{sc.accidents_part:.0f}")


HOME_ORDER = 5  # first on the Home tab: the person's own standing (bot/home.py sorts every kind's parts)


def home_blocks(ctx, session, user_id, locale: str) -> list[tuple[int, list[dict]]]:
    """The person's own safety score this month on their Home tab (only they see their Home)."""
    month = last_month(ctx)
    return [(HOME_ORDER, [{"type": "divider"},
                          {"type": "section", "text": {"type": "mrkdwn", "text": _line(
                              ctx, score(ctx, session, user_id, month), locale)}}])]


def by_team(ctx, month: str, locale: str) -> str:
    """Every team's people (supervisors and members) with their scores and the team's mean, for the leadership."""
    lines = [i18n.t(locale, "appraisal.team_title", month=month, weight=ctx.org.policy.appraisal.weight)]
    with read_scope(ctx.engine) as s:
        for team in ctx.org.teams:
            people = list(dict.fromkeys(team.supervisors + team.members))
            scores = [score(ctx, s, p, month) for p in people]
            mean = sum(x.score for x in scores) / len(scores) if scores else 100.0
            lines.append(i18n.t(locale, "appraisal.team_line", team=team.name, mean=f"{mean:.1f}", people=i18n.Mrkdwn(
                i18n.tp(locale, "list.sep").join(f"{i18n.mention(x.person)} {x.score:.1f}" for x in scores) or "—")))
    return "\n".join(str(x) for x in lines)
