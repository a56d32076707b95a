"""#21 drills: `/drill cancel <id>` (the people told hear it is off), only people of the organisation file can mark
attendance (a stranger's press no longer marks the drill held), and the day's notice shows the attendance count."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot import ids
from storage.db import session_scope
from storage.models import AuditEvent, DrillAttendance
from tests.test_drills import (  # noqa: F401 - dbot and _drills_area_only are fixtures
    AGENT,
    AGENT2,
    OFFICER,
    _drills_area_only,
    at,
    daily,
    dbot,
    drill_cmd,
    held_on_the_25th,
    local,
    notices_of,
    texts,
    the_drill,
)


def test_drill_cancel_by_the_safety_officer_tells_those_told_and_anyone_else_is_refused(dbot):
    bot = dbot
    at(bot, local(2026, 9, 15, 9, 0))  # the cross-department drill of 22 September: its 7-day notice goes out
    daily(bot)
    drill = the_drill(bot, "cross_department", "2026-09")
    assert drill.notices == ["7d"] and len(notices_of(bot, drill.id)) == 1
    body = drill_cmd(bot, AGENT, f"cancel {drill.id}")
    assert "本次操作未生效" in body["text"] and the_drill(bot, "cross_department", "2026-09").status == "planned"
    assert "本次操作未生效" in drill_cmd(bot, OFFICER, "cancel")["text"]  # no id: the usage
    body = drill_cmd(bot, OFFICER, f"cancel {drill.id} the floor is being renovated")
    assert "已取消" in body["text"] and "已通知" in body["text"]
    assert the_drill(bot, "cross_department", "2026-09").status == "cancelled"
    off = notices_of(bot, drill.id)
    assert len(off) == 2 and "已取消" in json.dumps(off[-1]["blocks"], ensure_ascii=False)
    assert not [b for b in off[-1]["blocks"] if b.get("block_id") == ids.DRILL_ACTIONS_BLOCK]  # no buttons
    with session_scope(bot.ctx.engine) as s:
        row = s.execute(select(AuditEvent).where(AuditEvent.action == "drill_cancelled")).scalar_one()
        assert row.actor == OFFICER and "renovated" in row.note
    at(bot, local(2026, 9, 21, 9, 0))  # no 1-day notice and no day notice for a cancelled drill
    daily(bot)
    at(bot, local(2026, 9, 22, 9, 0))
    daily(bot)
    assert len(notices_of(bot, drill.id)) == 2
    assert "不能取消" in drill_cmd(bot, OFFICER, f"cancel {drill.id}")["text"]  # once


def test_a_strangers_press_marks_nothing_and_the_day_notice_counts_who_took_part(dbot):
    bot = dbot
    drill = held_on_the_25th(bot)  # moved to the 25th, its day notice out, now 11:00 that day
    bot.click("U0STRANGER", ids.DRILL_ATTEND_ACTION, str(drill.id))
    assert "组织架构文件" in texts(bot, "U0STRANGER")[-1]
    assert the_drill(bot, "cross_department", "2026-09").status == "planned"  # still movable
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(DrillAttendance)).first() is None
    def shown() -> str:
        bot.drain()
        updates = [c.params for c in bot.fake.of("chat.update") if f'"drill_notice:{drill.id}"' in json.dumps(
            c.params.get("blocks") or [])]
        return json.dumps(updates[-1]["blocks"], ensure_ascii=False) if updates else ""

    bot.click(AGENT, ids.DRILL_ATTEND_ACTION, str(drill.id))
    assert "目前已有1人登记参加" in shown()
    bot.click(AGENT2, ids.DRILL_ATTEND_ACTION, str(drill.id))
    assert "目前已有2人登记参加" in shown()


def test_changing_a_kinds_day_in_the_policy_moves_the_drills_not_yet_held(engine):
    import datetime as dt

    from bot.clock import FrozenClock
    from bot.context import Context
    from bot.drills import layout
    from storage.models import Drill
    from tests.conftest import org_from

    now = local(2026, 9, 1, 8, 0)
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(now))
    with session_scope(engine) as s:
        layout.lay_out(ctx, s, now)
    with session_scope(engine) as s:
        sept = s.execute(select(Drill).where(Drill.kind == "cross_department", Drill.period == "2026-09")).scalar_one()
        dec = s.execute(select(Drill).where(Drill.kind == "cross_department", Drill.period == "2026-12")).scalar_one()
        assert sept.planned_at == local(2026, 9, 22, 15, 0)
        dec.moved_by = OFFICER  # moved by hand: the person's choice wins over the policy
        dec_at = dec.planned_at
    later = Context(org=org_from("drills:\n  kinds:\n    cross_department: {day: 24, time: '10:00'}\n"), engine=engine,
                    clock=FrozenClock(now))
    with session_scope(engine) as s:
        assert layout.lay_out(later, s, now) == 0  # nothing new, but …
    with session_scope(engine) as s:
        by = {d.period: d for d in s.execute(select(Drill).where(Drill.kind == "cross_department")).scalars()}
        rows = s.execute(select(AuditEvent).where(AuditEvent.action == "drill_rescheduled")).scalars().all()
    assert by["2026-09"].planned_at == local(2026, 9, 24, 10, 0)  # … the September drill follows the new day
    assert by["2026-12"].planned_at == dec_at
    assert by["2027-03"].planned_at == local(2027, 3, 24, 10, 0)
    assert len(rows) == len(by) - 1 and all(r.actor == "system" for r in rows)
    assert dt.datetime.fromisoformat(rows[0].before["planned_at"]) < dt.datetime.fromisoformat(
        rows[0].after["planned_at"])
