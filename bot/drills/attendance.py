"""Attendance on the drill's day: "I took part" records one `drill_attendance` row per person (its key is
(drill, person): a second click, a retried request or a second process records nothing twice). The first
attendance marks the drill held. Only people of the organisation file may mark it (#21); the day's notice is edited
to show the count. The answer is only for the person."""

from __future__ import annotations

from sqlalchemy import func, select

from bot import i18n
from bot.drills import SUBJECT, layout, notices
from bot.drills.common import Outcome, not_found, parse_id
from bot.i18n import fmt_time
from storage.db import buffer_insert, dialect_insert, session_scope
from storage.models import AuditEvent, DrillAttendance


def attend(ctx, user_id: str, value: object, locale: str) -> Outcome:
    org, now = ctx.org, ctx.clock.now()
    drill_id = parse_id(value)
    if drill_id is None:
        return not_found(locale, value)
    with session_scope(ctx.engine) as s:
        if not ctx.directory.is_known(user_id):  # #21: a stranger's press would mark the drill held
            s.add(AuditEvent(at=now, actor=user_id, action="refused_attend_drill", note=f"drill {drill_id}"))
            return Outcome(False, i18n.t(locale, "drills.attend_unknown"))
        drill = layout.lock(s, drill_id)
        if drill is None:
            return not_found(locale, value)
        name, when = layout.kind_name(org, drill, locale), fmt_time(drill.planned_at, org.tz)
        if drill.status not in layout.OPEN:
            return Outcome(False, i18n.t(locale, "drills.attend_closed", name=name,
                                         status=i18n.tp(locale, f"drills.status_{drill.status}")))
        today, day = org.local(now).date(), org.local(drill.planned_at).date()
        if today < day:
            return Outcome(False, i18n.t(locale, "drills.attend_not_today", name=name, when=when))
        if today > day:  # attendance is taken on the day only (the record says who was there)
            return Outcome(False, i18n.t(locale, "drills.attend_day_over", name=name, when=when))
        dialect = s.get_bind().dialect.name
        table = DrillAttendance.__table__
        ins = dialect_insert(table, dialect)
        added = s.execute(ins.values(drill_id=drill.id, user_id=user_id, at=now)
                          .on_conflict_do_nothing(index_elements=["drill_id", "user_id"])
                          .returning(table.c.user_id)).first()
        if added is None:
            return Outcome(True, i18n.t(locale, "drills.attended_already", name=name))
        if drill.status == "planned":
            drill.status = "held"
            drill.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="drill_attended", subject_type=SUBJECT, subject_id=drill.id,
                                                    before=None, after={"drill": drill.id}, note=""))
        n = s.execute(select(func.count()).select_from(DrillAttendance)
                      .where(DrillAttendance.drill_id == drill.id)).scalar_one()
        notices.update_day(ctx, s, drill, now, n)
    return Outcome(True, i18n.t(locale, "drills.attended", name=name, when=when, n=n))


def attendees(s, drill_id: int) -> list[str]:
    return list(s.execute(select(DrillAttendance.user_id).where(DrillAttendance.drill_id == drill_id)
                          .order_by(DrillAttendance.at, DrillAttendance.user_id)).scalars())
