"""The weekly risk observation (#21, §4.1.1 一线客服专员每周提交《风险观察表》).

A job runs each day at the policy's time (`risks.observations`); on the week's day (or the next working day when it
is off) it opens the week's round, once (its row is keyed by the week's day; the job run is claimed, so a second
replica does nothing), and asks every team member by DM: **Nothing new** (无新增风险) answers in one click, **Fill in
the form** opens the observation form of `/risk observe`. An observation filed after the ask answers it too. The
round's deadline is a timer row (`answer_within`, working days on the organisation's calendar): when it fires, the
Sweeper's claim makes it once, and the supervisors of each team are sent the names of its members who did not
answer; before it, nobody is told anything.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import i18n
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.outbox import ROUTINE, enqueue
from bot.policy_checks import WEEKDAYS
from bot.prefs import locales_of
from bot.render import render
from bot.risks import SUBJECT
from bot.text import parse_row_id
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, Risk, RiskAnswer, RiskRound, Timer

JOB = "risks:observe"
PURPOSE = "risk_observe_due"
CATCH_UP = dt.timedelta(hours=12)  # a missed ask is made up at start when at most this old


def triggers(org) -> dict:
    h, m = (int(x) for x in org.policy.risks.observations.time.split(":"))
    return {JOB: CronTrigger(hour=h, minute=m, timezone=org.tz)}


def nominal_on(org, day: dt.date) -> dt.date | None:
    """The week's nominal day whose ask falls on `day` (itself, or moved past days off), if one does."""
    wd = WEEKDAYS.index(org.policy.risks.observations.weekday)
    this = day - dt.timedelta(days=(day.weekday() - wd) % 7)
    for nominal in (this - dt.timedelta(weeks=1), this):
        if org.workdays.next_working_day(nominal) == day:
            return nominal
    return None


def asked_people(org) -> list[str]:
    """Every team's members (the front-line agents, §4.1.1), once each."""
    return list(dict.fromkeys(u for team in org.teams for u in team.members))


def message_key(round_id: int, user: str) -> str:
    return f"risk_round:{round_id}:{user}"


def ask_message(ctx, rnd: RiskRound, user: str, locale: str, answered_at: dt.datetime | None = None) -> dict:
    org = ctx.org
    head = i18n.t(locale, "risks.ask.head", due=fmt_time(rnd.due_at, org.tz))
    done = i18n.t(locale, "risks.ask.nothing_new_line", at=fmt_time(answered_at, org.tz)) if answered_at else None
    blocks = render("risk_ask", locale, head=head, done=done, value=str(rnd.id))
    return {"channel": user, "text": i18n.tp(locale, "risks.ask.fallback"), "blocks": blocks}


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """Open the week's round if its ask falls today (claimed: the caller's transaction holds the job run)."""
    org = ctx.org
    now = ctx.clock.now()
    today = scheduled_for.astimezone(org.tz).date()
    nominal = nominal_on(org, today)
    if nominal is None or s.execute(select(RiskRound.id).where(RiskRound.week == nominal)).first() is not None:
        return []
    people = asked_people(org)
    if not people:
        return []
    due = org.policy.risks.observations.answer_within.add_to(scheduled_for, org.tz, org.workdays)
    rnd = RiskRound(week=nominal, asked=people, asked_at=scheduled_for, due_at=due)
    s.add(rnd)
    s.flush()
    langs = locales_of(s, org, people)
    for user in people:
        enqueue(s, now, "chat.postMessage", ask_message(ctx, rnd, user, langs[user]), ordering_key=f"risk_round:{rnd.id}",
                message_key=message_key(rnd.id, user), dedupe_key=f"risk_ask:{nominal.isoformat()}:{user}",
                priority=ROUTINE)
    s.add(Timer(subject_type=SUBJECT, subject_id=rnd.id, purpose=PURPOSE, step=0, cycle=1, due_at=due, fire_at=due,
                status="pending"))
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="risk_observation_asked", subject_type=SUBJECT, subject_id=rnd.id, before=None,
        note=nominal.isoformat(), after={"asked": len(people), "due": due.isoformat()}))
    return []


def answered(s, rnd: RiskRound, until: dt.datetime) -> set[str]:
    """Who answered the round: "nothing new", or an observation filed since the ask."""
    said = set(s.execute(select(RiskAnswer.user_id).where(RiskAnswer.round_id == rnd.id)).scalars())
    said |= set(s.execute(select(Risk.created_by).where(Risk.kind == "observation", Risk.created_at >= rnd.asked_at,
                                                        Risk.created_at <= until)).scalars())
    return said


def nothing_new(ctx, value: object, user: str, locale: str) -> Mrkdwn:
    """**Nothing new** on the ask: recorded once, the DM edited to say so."""
    now = ctx.clock.now()
    round_id = parse_row_id(value)
    try:
        with session_scope(ctx.engine) as s:
            rnd = s.get(RiskRound, round_id) if round_id else None
            if rnd is None:
                return i18n.t(locale, "risks.ask.not_found")
            if user not in (rnd.asked or []):
                s.add(AuditEvent(at=now, actor=user, action="refused_risk_answer", note=f"round:{rnd.id}"))
                return i18n.Refusal(i18n.t(locale, "risks.ask.not_asked"))
            if user in answered(s, rnd, now):
                return i18n.t(locale, "risks.ask.already")
            s.add(RiskAnswer(round_id=rnd.id, user_id=user, answered_at=now))
            s.flush()
            buffer_insert(s, AuditEvent.__table__, dict(
                at=now, actor=user, action="risk_nothing_new", subject_type=SUBJECT, subject_id=rnd.id, before=None,
                note=rnd.week.isoformat(), after={"late": now > rnd.due_at}))
            enqueue(s, now, "chat.update", ask_message(ctx, rnd, user, locale, now), ordering_key=f"risk_round:{rnd.id}",
                    target_key=message_key(rnd.id, user), priority=ROUTINE)
    except IntegrityError:  # the same press twice at once: the other one recorded it
        return i18n.t(locale, "risks.ask.already")
    ctx.wake()
    return i18n.t(locale, "risks.ask.recorded")


def load(s, round_ids: set) -> dict:
    return {r.id: r for r in s.execute(select(RiskRound).where(RiskRound.id.in_(round_ids)).with_for_update()).scalars()}


def fire(ctx, s, rnd: RiskRound | None, timer: Timer, now: dt.datetime) -> bool:
    """The round's deadline: each team's supervisors get the names of its members who did not answer, once."""
    if rnd is None or rnd.told_at is not None or timer.purpose != PURPOSE:
        return False
    org = ctx.org
    said = answered(s, rnd, now)
    told: dict[str, list[str]] = {}
    for team in org.teams:
        missing = [u for u in team.members if u in (rnd.asked or []) and u not in said]
        if not missing:
            continue
        to = ctx.directory.resolve_people(list(org.policy.risks.observations.missing_to), team.name, None) \
            or ctx.directory.people("safety_officer")
        langs = locales_of(s, org, to)
        for user in to:
            text = i18n.t(langs[user], "risks.ask.missing", team=team.name, week=rnd.week.isoformat(),
                          due=fmt_time(rnd.due_at, org.tz), n=len(missing), late=timer.late,
                          mentions=i18n.join_list(langs[user], [mention(u) for u in missing], "and"))
            enqueue(s, now, "chat.postMessage", {"channel": user, "text": text}, ordering_key=f"risk_round:{rnd.id}",
                    dedupe_key=f"risk_missing:{rnd.id}:{team.name}:{user}"[:128], priority=ROUTINE)
        told[team.name] = missing
    rnd.told_at = now
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="risk_observation_missing", subject_type=SUBJECT, subject_id=rnd.id,
        before=None, note=rnd.week.isoformat(), after={"missing": told, "late": timer.late}))
    return True
