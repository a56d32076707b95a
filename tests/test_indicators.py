"""Indicators (#22, §6.2.1) on seeded data, each against a hand-computed value: October 2026 (the National Day
holiday, 1–7 October, is inside it; its local month starts 30 September 16:00 UTC), a team with no shifts (its
pre-shift completion is "none", never 0%), figures not in Slack missing until given, then given by CSV."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.context import Context
from bot.indicators import compute, figures
from storage.db import session_scope
from storage.models import AuditEvent, CheckTask, Drill, RectItem, Report
from tests.conftest import org_from

SH = ZoneInfo("Asia/Shanghai")


def L(*a) -> dt.datetime:  # noqa: N802 - a local moment, stored in UTC
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


M = dt.timedelta(minutes=1)
_seq = iter(range(1, 10_000))


def report(s, when, level=2, category="electrical", kind="hazard", ack=None, res=None, on_site=None, group=None,
           team="Hotline A"):
    n = next(_seq)
    r = Report(kind=kind, number=f"HZ-2026-{n:05d}", year=2026, seq=n, source_key=f"k{n}", category=category,
               level=level, description="d", reporter_id="U0AGENT1", team=team, reported_at=when,
               respond_due_at=when + 30 * M, resolve_due_at=when + 600 * M, group_id=group,
               acknowledged_at=when + ack * M if ack is not None else None,
               resolved_at=when + res * M if res is not None else None,
               on_site_at=when + on_site * M if on_site is not None else None,
               status="resolved" if res is not None else ("acknowledged" if ack is not None else "open"))
    s.add(r)
    s.flush()
    return r


def item(s, team, due, closed=None):
    r = report(s, L(2026, 9, 1, 9), team=team)
    it = RectItem(report_id=r.id, team=team, likelihood="likely", impact="major", risk="high",
                  state="closed" if closed else "in_progress", accountable="U0SUPA", assigned="U0AGENT1",
                  created_at=L(2026, 9, 1, 10), created_by="U0SUPA", due_at=due, first_due_at=due, closed_at=closed)
    s.add(it)
    s.flush()
    return r, it


def task(s, kind, team, day, status="pending", late=False, name="pre_shift"):
    due = dt.datetime.combine(day, dt.time(9), tzinfo=SH).astimezone(dt.timezone.utc)
    s.add(CheckTask(key=f"{kind}:{team}:{day}:{next(_seq)}", kind=kind, name=name, team=team, day=day, owners=[],
                    issued_at=due - 60 * M, due_at=due, status=status,
                    done_at=None if status == "pending" else due + (30 * M if late else -10 * M)))


@pytest.fixture
def ctx(engine):
    return Context(org=org_from(), engine=engine, clock=FrozenClock(L(2026, 11, 1, 9)))


@pytest.fixture
def seeded(ctx):
    return seed(ctx)


def seed(ctx):
    D = dt.date  # noqa: N806
    with session_scope(ctx.engine) as s:
        # hazards: level 1 acknowledged in 20 and 40 min; a level 2 on a holiday with a member of its group (not
        # counted twice); a level 3 at 00:30 local on 1 October (30 September in UTC: inside the local month);
        # one at 00:10 local on 1 November (31 October in UTC: outside)
        report(s, L(2026, 10, 8, 10), level=1, category="fire", ack=20, res=120)
        report(s, L(2026, 10, 9, 10), level=1, category="electrical", ack=40)
        lead = report(s, L(2026, 10, 2, 10), level=2, category="electrical", ack=60)
        report(s, L(2026, 10, 2, 10, 3), level=2, category="electrical", group=lead.id)
        report(s, L(2026, 10, 1, 0, 30), level=3, category="equipment")
        report(s, L(2026, 11, 1, 0, 10), level=3, category="equipment")
        # incidents: a level-1 injury (acknowledged in 5 min, someone on site in 10), a conflict on site in 20
        report(s, L(2026, 10, 15, 14), level=1, category="personal_injury", kind="incident", ack=5, on_site=10)
        report(s, L(2026, 10, 20, 14), level=2, category="customer_out_of_control", kind="incident", on_site=20)
        # rectification: due in October — closed on time (A), closed late (A), open (B), closed after the month (A)
        item(s, "Hotline A", L(2026, 10, 10, 18), closed=L(2026, 10, 9, 12))
        item(s, "Hotline A", L(2026, 10, 12, 18), closed=L(2026, 10, 14, 12))
        r3, _ = item(s, "Hotline B", L(2026, 10, 20, 18))
        item(s, "Hotline A", L(2026, 10, 30, 18), closed=L(2026, 11, 2, 12))
        item(s, "Hotline A", L(2026, 9, 25, 18), closed=L(2026, 10, 3, 12))  # due in September
        item(s, "Hotline B", L(2026, 11, 5, 18))  # due in November
        s.add(AuditEvent(at=L(2026, 10, 21, 9), actor="system", action="rect_supervisor_flagged",
                         subject_type="report", subject_id=r3.id, after={"team": "Hotline B"}))
        # drills: passed, failed, and one still planned (not counted)
        for day, passed, status in ((15, True, "evaluated"), (22, False, "evaluated"), (28, None, "planned")):
            s.add(Drill(kind=f"k{day}", period="2026-10", planned_at=L(2026, 10, day, 15), status=status,
                        passed=passed, score=95 if passed else (70 if passed is False else None),
                        created_at=L(2026, 9, 1)))
        # pre-shift self-checks of Hotline A only (Hotline B has no shifts): on time, late, missing, a problem
        # found on time; none during the holiday (no working day), one on 30 September (outside)
        task(s, "pre_shift", "Hotline A", D(2026, 10, 8), "done")
        task(s, "pre_shift", "Hotline A", D(2026, 10, 8), "done", late=True)
        task(s, "pre_shift", "Hotline A", D(2026, 10, 8))
        task(s, "pre_shift", "Hotline A", D(2026, 10, 9), "problem")
        task(s, "pre_shift", "Hotline A", D(2026, 9, 30), "done")
        task(s, "patrol", None, D(2026, 10, 8), "done", name="patrol")
        task(s, "check", None, D(2026, 10, 15), name="ups")
        task(s, "briefing", "Hotline A", D(2026, 10, 8), name="briefing")  # not a scheduled check
    return ctx


def month(ctx, m="2026-10"):
    with session_scope(ctx.engine) as s:
        return compute.compute(ctx, s, m)


def test_every_indicator_against_hand_computed_values(seeded):
    m = month(seeded)
    f = {k: (x.value, x.state) for k, x in m.figures.items()}
    assert f["rectification_rate"] == (25.0, "ok")  # 1 on time of 4 due in October
    assert (m.figures["rectification_rate"].num, m.figures["rectification_rate"].den) == (1, 4)
    assert f["drill_pass_rate"] == (50.0, "ok")
    assert f["pre_shift_completion"] == (50.0, "ok")  # on time + problem on time, of 4
    assert f["scheduled_check_completion"] == (50.0, "ok")  # the patrol, of the patrol and the UPS check
    assert f["major_accidents"] == (1, "ok")
    assert f["level1_response_minutes"] == (21.7, "ok")  # (20 + 40 + 5) / 3
    assert m.figures["level1_response_minutes"].met() is True
    assert f["emergency_on_site_minutes"] == (15.0, "ok")
    assert f["hazards_reported"] == (4, "ok")
    assert m.by_category == {("fire", 1): 1, ("electrical", 1): 1, ("electrical", 2): 1, ("equipment", 3): 1}
    assert m.by_level[1] == {"n": 3, "ack_n": 3, "ack_min": 21.7, "res_n": 1, "res_min": 120.0}
    assert m.by_level[2]["n"] == 2 and m.by_level[2]["ack_min"] == 60.0 and m.by_level[2]["res_n"] == 0
    # overdue at the month's end: B's open item, A's item closed in November
    assert f["overdue_rectification"] == (2, "ok")
    assert m.teams["Hotline A"]["overdue"] == 1 and m.teams["Hotline B"]["overdue"] == 1
    assert f["supervisors_flagged"] == (1, "ok") and m.teams["Hotline B"]["flagged"] == 1
    assert m.teams["Hotline A"]["pre_shift"] == (2, 4)
    assert m.teams["Hotline B"]["pre_shift"] is None  # no shifts: nothing to count, not 0%
    assert m.figures["rectification_rate"].met() is False and m.figures["major_accidents"].met() is False
    # not in Slack: missing (never 0) until given
    for key in ("training_participation", "safety_complaint_share", "conflict_rate"):
        assert f[key] == (None, "missing"), key
    assert [(w.isoformat(), o, c) for w, o, c in m.weekly if o or c] == [
        ("2026-09-28", 2, 0), ("2026-10-05", 2, 1)]
    # level 1 by week: (20 + 40) / 2 and the longest 40; the injury's 5
    assert [(w.isoformat(), a, mx) for w, a, mx in m.ack_weekly if a is not None] == [
        ("2026-10-05", 30.0, 40.0), ("2026-10-12", 5.0, 5.0)]


def test_given_figures_fill_the_missing_ones(seeded):
    rows = figures.parse("month,key,value\n2026-10,calls_handled,20000\n2026-10,complaints_received,40\n"
                         "2026-10,safety_complaints,3\n2026-10,training_attended,9\n2026-10,training_expected,10\n")
    with session_scope(seeded.engine) as s:
        figures.store(s, rows, "U0OFFICER", L(2026, 11, 1, 8))
    m = month(seeded)
    assert (m.figures["conflict_rate"].value, m.figures["conflict_rate"].state) == (0.5, "ok")  # 1 per 20,000 calls
    assert m.figures["safety_complaint_share"].value == 7.5 and m.figures["safety_complaint_share"].met() is False
    assert m.figures["training_participation"].value == 90.0
    assert month(seeded, "2026-09").figures["conflict_rate"].state == "missing"  # another month: still missing
    with session_scope(seeded.engine) as s:  # given again: replaced, not added
        figures.store(s, figures.parse("month,key,value\n2026-10,calls_handled,10000\n"), "U0OFFICER",
                      L(2026, 11, 2, 8))
    assert month(seeded).figures["conflict_rate"].value == 1.0


@pytest.mark.parametrize("text,error", [
    ("m,k,v\n", "header"), ("month,key,value\n2026-13,calls_handled,1\n", "YYYY-MM"),
    ("month,key,value\n2026-10,calls,1\n", "unknown key"), ("month,key,value\n2026-10,calls_handled,x\n", "number"),
    ("month,key,value\n2026-10,calls_handled,-1\n", "range"), ("month,key,value\n2026-10,calls_handled,nan\n", "range"),
    ("month,key,value\n2026-10,complaints_received,2\n2026-10,safety_complaints,3\n", "exceeds")])
def test_bad_figures_are_refused(text, error):
    with pytest.raises(figures.FigureError, match=error):
        figures.parse(text)


def test_an_empty_month_is_none_not_zero(ctx):
    m = month(ctx, "2027-02")
    for key in ("rectification_rate", "drill_pass_rate", "pre_shift_completion", "level1_response_minutes"):
        assert (m.figures[key].value, m.figures[key].state) == (None, "none"), key
    assert m.figures["major_accidents"].value == 0 and m.figures["major_accidents"].met() is True
