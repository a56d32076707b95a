"""Induction (#23; §3.5.1 入职培训): a person listed under `training.induction.pending` is in induction until their
theory and practice hours are recorded (`/training record`, kinds induction_theory / induction_practice) and a test
is passed: 考核通过后方可上岗. Their supervisor is reminded each working day (the training area's daily run,
claimed once) until it is done, and `/training` shows where they stand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from bot import i18n
from bot.i18n import mention
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.training import SUBJECT, members
from storage.db import buffer_insert
from storage.models import AuditEvent, TrainingAttendance, TrainingSession, TrainingTest


@dataclass
class Standing:
    theory: float  # hours recorded
    practice: float
    passed: bool
    theory_needed: float
    practice_needed: float

    @property
    def cleared(self) -> bool:
        return self.theory >= self.theory_needed and self.practice >= self.practice_needed and self.passed


def standing(ctx, s, user: str) -> Standing | None:
    """Where `user` stands in induction; None when they are not in induction."""
    pol = ctx.org.policy.training.induction
    if user not in pol.pending and not members.in_induction(s, user):
        return None
    hours = dict(s.execute(select(TrainingSession.kind, func.sum(TrainingSession.hours)).join(
        TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id).where(
        TrainingAttendance.user_id == user, TrainingSession.kind.in_(("induction_theory", "induction_practice")))
        .group_by(TrainingSession.kind)).all())
    passed = s.execute(select(TrainingTest.id).where(TrainingTest.user_id == user, TrainingTest.status == "passed")
                       .limit(1)).first() is not None
    return Standing(float(hours.get("induction_theory") or 0), float(hours.get("induction_practice") or 0), passed,
                    pol.theory.seconds / 3600, pol.practice.seconds / 3600)


def line(locale: str, user: str, st: Standing) -> i18n.Mrkdwn:
    if st.cleared:
        return i18n.t(locale, "training.induction_cleared", who=mention(user))
    return i18n.t(locale, "training.induction_not_cleared", who=mention(user), theory=f"{st.theory:g}",
                  theory_needed=f"{st.theory_needed:g}", practice=f"{st.practice:g}",
                  practice_needed=f"{st.practice_needed:g}", passed=st.passed)


def remind_all(ctx, s, now: dt.datetime) -> int:
    """On a working day: each supervisor gets one DM naming their people still in induction and what is missing."""
    org = ctx.org
    if not org.workdays.is_working_day(org.local(now).date()):
        return 0
    by_supervisor: dict[str, list[tuple[str, Standing]]] = {}
    for user in dict.fromkeys(list(org.policy.training.induction.pending) + members.inducted(s)):
        st = standing(ctx, s, user)
        team = ctx.directory.team_of(user)
        if st is None or st.cleared or team is None:
            continue
        for sup in team.supervisors:
            if sup != user:
                by_supervisor.setdefault(sup, []).append((user, st))
    langs = locales_of(s, org, list(by_supervisor))
    for sup, people in by_supervisor.items():
        locale = langs[sup]
        text = "\n".join([str(i18n.t(locale, "training.induction_reminder"))]
                         + [str(line(locale, u, st)) for u, st in people])
        enqueue(s, now, "chat.postMessage", {"channel": sup, "text": text, "unfurl_links": False},
                ordering_key=f"training:{sup}", priority=ROUTINE)
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="training_induction_reminder", subject_type=SUBJECT, subject_id=None,
            before=None, note=sup, after={"supervisor": sup, "people": [u for u, _ in people]}))
    return len(by_supervisor)


def pre_shift_issued(ctx, s, team, user: str, day: dt.date, now: dt.datetime) -> None:
    """The checks kind just sent `user` the pre-shift self-check (registry hook): if they are still in induction,
    their team's supervisors are told that person is not cleared to work (§3.5.1 考核通过后方可上岗)."""
    st = standing(ctx, s, user)
    if st is None or st.cleared:
        return
    sups = [u for u in team.supervisors if u != user]
    langs = locales_of(s, ctx.org, sups)
    for sup in sups:
        text = i18n.t(langs[sup], "training.induction_pre_shift", who=mention(user), team=team.name)
        text = "\n".join([str(text), str(line(langs[sup], user, st))])
        enqueue(s, now, "chat.postMessage", {"channel": sup, "text": text, "unfurl_links": False},
                ordering_key=f"training:{sup}", dedupe_key=f"induction:{user}:{day.isoformat()}:{sup}"[:128])
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="training_not_cleared", subject_type=SUBJECT, subject_id=None, before=None,
        note=user, after={"user": user, "team": team.name, "day": day.isoformat(), "told": sups}))
