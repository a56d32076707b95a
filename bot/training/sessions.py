"""`/training record` (#23; §3.5.1, §3.5.2): the safety officer or a supervisor records a training session (course,
kind, people, hours, day) in one transaction with its audit row. A supervisor records people of their own team."""

from __future__ import annotations

import datetime as dt
import re

from bot import i18n
from bot.hazards.present import who_may
from bot.outbox import URGENT, enqueue
from bot.render import render
from bot.text import clean_text, slack_id
from bot.training import SUBJECT
from bot.training.quiz import Outcome
from storage.db import session_scope
from storage.models import AuditEvent, TrainingAttendance, TrainingSession

ACTION = "record_training"  # the policy's permission
KINDS = ("induction_theory", "induction_practice", "monthly_study", "team_study", "lecture", "other")
COURSE_MAX = 200
PEOPLE_MAX = 200
HOURS = re.compile(r"^\d{1,2}(\.\d)?$")
HOURS_MAX = 24.0


def _teams_of(ctx, user: str) -> list:
    return [t for t in ctx.org.teams if ctx.directory.allowed(user, ACTION, t.name)]


def allowed(ctx, user: str) -> bool:
    return ctx.directory.allowed(user, ACTION, None) or bool(_teams_of(ctx, user))


def form(ctx, user: str, locale: str) -> Outcome:
    if not allowed(ctx, user):
        with session_scope(ctx.engine) as s:
            s.add(AuditEvent(at=ctx.clock.now(), actor=user, action="refused_record_training", note=""))
        return Outcome(False, who_may(ctx, locale, ACTION, "training.refused"))
    kinds = [{"value": k, "label": i18n.tp(locale, f"training.kind_{k}")} for k in KINDS]
    today = ctx.org.local(ctx.clock.now()).date().isoformat()
    view = render("training_form", locale, kinds=kinds, course_max=COURSE_MAX, today=today)
    return Outcome(True, view=view)


def record(ctx, user: str, values: dict, locale: str) -> tuple[dict, str | None]:
    """({block: error}, None) when the form is wrong; ({}, confirmation) once recorded."""
    errors: dict = {}
    if not allowed(ctx, user):
        return {"course": i18n.tp(locale, "training.refused_short")}, None
    course = clean_text(values.get("course") or "").strip()[:COURSE_MAX]
    if not course:
        errors["course"] = i18n.tp(locale, "training.error_course")
    kind = values.get("kind")
    if kind not in KINDS:
        errors["kind"] = i18n.tp(locale, "training.error_kind")
    raw = values.get("people") if isinstance(values.get("people"), list) else []
    people = list(dict.fromkeys(u for u in (slack_id(x, "UW") for x in raw[:PEOPLE_MAX]) if u))
    if not people:
        errors["people"] = i18n.tp(locale, "training.error_people")
    elif not ctx.directory.allowed(user, ACTION, None):  # a supervisor: their own team's people only
        mine = {u for t in _teams_of(ctx, user) for u in list(t.members) + list(t.supervisors)}
        others = [u for u in people if u not in mine]
        if others:
            errors["people"] = i18n.tp(locale, "training.error_not_team", n=len(others))
    hours_text = str(values.get("hours") or "").strip()
    hours = float(hours_text) if HOURS.match(hours_text) else 0.0
    if not 0 < hours <= HOURS_MAX:
        errors["hours"] = i18n.tp(locale, "training.error_hours", max=int(HOURS_MAX))
    now = ctx.clock.now()
    try:
        day = dt.date.fromisoformat(str(values.get("day") or ""))
    except ValueError:
        day = None
    if day is None or day > ctx.org.local(now).date():
        errors["day"] = i18n.tp(locale, "training.error_day")
    if errors:
        return errors, None
    with session_scope(ctx.engine) as s:
        row = TrainingSession(course=course, kind=kind, day=day, hours=hours, recorded_by=user, recorded_at=now)
        s.add(row)
        s.flush()
        for u in people:
            s.add(TrainingAttendance(session_id=row.id, user_id=u))
        s.add(AuditEvent(at=now, actor=user, action="training_recorded", subject_type=SUBJECT + "_session",
                         subject_id=row.id, note=course[:200],
                         after={"course": course, "kind": kind, "day": day.isoformat(), "hours": hours,
                                "people": people}))
        done = i18n.t(locale, "training.recorded", course=course, n=len(people), hours=f"{hours:g}")
        enqueue(s, now, "chat.postMessage", {"channel": user, "text": str(done)}, ordering_key=f"training:{user}",
                priority=URGENT)
    ctx.wake()
    return {}, str(done)
