"""Reads over a long history (issue 26): the Home tab computed after the event is answered, and the figures the
digest, the weekly summary and the Home tab count from one grouped read, on both engines."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

from sqlalchemy import select, update

from bot import home
from bot.context import Context
from bot.hazards import digest
from storage.db import session_scope
from storage.models import Report
from tests.slackschema import assert_valid_view


def test_the_home_tab_is_computed_after_the_event_is_answered(bot, monkeypatch):
    bot.report("U0AGENT1", level=2, location="desk 7")
    bot.drain()
    answered = threading.Event()
    seen: list[bool] = []  # for each Home computed: was the event's HTTP answer already in the test's hands?
    real = home.home_view

    def held(ctx, user_id, locale):
        seen.append(answered.wait(5))  # inside the request this would wait for an answer that cannot come
        return real(ctx, user_id, locale)

    monkeypatch.setattr(home, "home_view", held)
    status, _ = bot.event({"type": "app_home_opened", "user": "U0OFFICER", "channel": "D1", "tab": "home"})
    answered.set()
    assert status == 200
    bot.drain()  # the row held for the Home tab counts as waiting: drain waits for it to be filled and sent
    assert seen == [True]
    views = [c.params for c in bot.fake.of("views.publish") if c.params.get("user_id") == "U0OFFICER"]
    assert len(views) == 1 and "-00001" in json.dumps(views[0]["view"], ensure_ascii=False)
    assert_valid_view(views[0]["view"])


def test_a_home_tab_that_cannot_be_computed_leaves_nothing_waiting(bot, monkeypatch):
    def broken(ctx, user_id, locale):
        raise RuntimeError("boom")

    monkeypatch.setattr(home, "home_view", broken)
    status, _ = bot.event({"type": "app_home_opened", "user": "U0OFFICER", "channel": "D1", "tab": "home"})
    assert status == 200
    bot.drain()
    assert bot.fake.of("views.publish") == []


def _figures_store(bot):
    """Reports of every shape the counts tell apart: teams, levels, kinds, grouped, overdue, open and resolved."""
    for user, level, where in (("U0AGENT1", 1, "desk 1"), ("U0AGENT1", 2, "desk 2"), ("U0AGENT3", 3, "desk 3"),
                               ("U0AGENT3", 2, "desk 4"), ("U0AGENT1", 3, "desk 5"), ("U0OFFICER", 2, "desk 6")):
        bot.report(user, level=level, location=where)
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(Report).order_by(Report.id)).scalars().all()
        ids = [r.id for r in rows]
        s.execute(update(Report).where(Report.id.in_([ids[0], ids[2], ids[4]])).values(overdue=True))
        s.execute(update(Report).where(Report.id == ids[4]).values(overdue=False))
        s.execute(update(Report).where(Report.id == ids[1]).values(status="resolved", resolved_at=rows[1].reported_at))
        s.execute(update(Report).where(Report.id == ids[3]).values(group_id=ids[2]))  # grouped under a lead
        s.execute(update(Report).where(Report.id == ids[5]).values(kind="incident", overdue=True))
    return ids


def _by_hand(bot, now, team):
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(Report)).scalars().all()
    hazards = [r for r in rows if r.kind == "hazard" and (team is None or r.team == team)]
    open_ = [r for r in hazards if r.status in ("open", "acknowledged")]
    levels = sorted({r.level for r in open_})
    return {"open_count": len(open_), "overdue_count": sum(1 for r in open_ if r.overdue),
            "open_by_level": [(lvl, sum(1 for r in open_ if r.level == lvl),
                               min(r.reported_at for r in open_ if r.level == lvl)) for lvl in levels],
            "overdue_numbers": sorted(r.number for r in open_ if r.overdue)}


def test_the_digest_counts_per_channel_from_one_grouped_read(bot):
    _figures_store(bot)
    ctx: Context = bot.ctx
    now = ctx.clock.now() + dt.timedelta(minutes=1)
    for team in (None, "Hotline A", "Hotline B"):
        c = digest.daily_content(ctx, now, team=team, since=now - dt.timedelta(days=1))
        want = _by_hand(bot, now, team)
        assert c["open_count"] == want["open_count"], team
        assert c["overdue_count"] == want["overdue_count"], team
        assert [(lvl, n) for lvl, n, _ in c["open_by_level"]] == [(lvl, n) for lvl, n, _ in want["open_by_level"]]
        assert [o for _, _, o in c["open_by_level"]] == [o for _, _, o in want["open_by_level"]]
        assert sorted(r.number for r in c["overdue_items"]) == want["overdue_numbers"], team
    whole = digest.daily_content(ctx, now, since=now - dt.timedelta(days=1))
    assert (whole["open_count"], whole["overdue_count"]) == (4, 2)  # the incident and the resolved one are not
    assert whole["incidents"]["open"] == 1 and whole["incidents"]["overdue"] == 1
    weekly = digest.weekly_content(ctx, now)
    assert weekly["open_now"] == 4 and weekly["closed"] == 1


def test_one_digest_run_reads_the_open_figures_once_for_every_channel(bot):
    from sqlalchemy import event

    _figures_store(bot)
    ctx = bot.ctx
    now = ctx.clock.now() + dt.timedelta(minutes=1)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        payloads = digest.daily_payloads(ctx, now, since=now - dt.timedelta(days=1))
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    assert len(payloads) == 3
    open_reads = [s for s in statements if "report" in s and "count(" in s.lower() and "open" in s]
    assert len(open_reads) == 1, open_reads


def test_the_home_tab_counts_what_a_person_holds(bot):
    _figures_store(bot)
    ctx = bot.ctx
    whole = json.dumps(home.home_view(ctx, "U0OFFICER", "en"), ensure_ascii=False)
    team_a = json.dumps(home.home_view(ctx, "U0SUPA", "en"), ensure_ascii=False)
    # not counted: the resolved one, the grouped one (its lead stands for it), the incident (its own part)
    assert "Open in the department: 3, 2 of them overdue" in whole
    assert "Open in Hotline A: 2, 1 of them overdue" in team_a
    lines = [b["text"]["text"] for b in home.home_view(ctx, "U0OFFICER", "en")["blocks"]
             if b.get("type") == "section" and "HZ-" in b.get("text", {}).get("text", "")]
    assert re.findall(r"HZ-\d{4}-(\d{5})", lines[-1]) == ["00001", "00003", "00005"]  # overdue first, then level
