import datetime as dt

from sqlalchemy import func, select

from bot import prefs  # noqa: F401
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import (  # noqa: F401
    create,
    forms,  # noqa: F401
    lookups,
    transitions,
)
from bot.hazards.kinds import kind  # noqa: F401
from bot.jobs import run_job
from bot.retention import purge
from storage.db import session_scope
from storage.models import AuditEvent, Report
from tests.conftest import org_from

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.timezone.utc)


def ctx_for(engine, policy=""):
    return Context(org=org_from(policy), engine=engine, clock=FrozenClock(T0))


def report(ctx, key):
    data, _ = create.validate_report(kind(ctx.org), "en", {"level": "3", "category": "equipment", "description": "headset"})
    return create.create_report(ctx, "hazard", source_key=key, reporter_id="U0AGENT1", data=data).report


def count(engine, *where):
    with session_scope(engine) as s:
        return s.execute(select(func.count()).select_from(AuditEvent).where(*where)).scalar_one()


def test_operation_log_keeps_180_days_and_report_history_stays(engine):
    ctx = ctx_for(engine)
    r = report(ctx, "a")
    transitions.acknowledge(ctx, r.number, "U0AGENT2")  # refused: an operation-log entry
    prefs.set_user_locale(ctx, "U0AGENT2", "en")
    assert count(engine, AuditEvent.subject_type.is_(None)) == 2
    ctx.clock.set(T0 + dt.timedelta(days=179))
    purge(ctx)
    assert count(engine, AuditEvent.subject_type.is_(None), AuditEvent.action != "purged") == 2
    ctx.clock.set(T0 + dt.timedelta(days=181))
    counts = purge(ctx)
    assert counts["operation_log"] >= 2
    assert count(engine, AuditEvent.action.in_(("refused_acknowledge", "set_locale"))) == 0
    assert count(engine, AuditEvent.subject_type == "report", AuditEvent.subject_id == r.id) >= 1  # the report's own timeline is kept


def test_reports_go_when_the_policy_says(engine):
    ctx = ctx_for(engine, "retention: {reports: 365d}")
    r = report(ctx, "b")
    keep = report(ctx, "c")
    transitions.resolve(ctx, r.number, "U0SUPA", "fixed")
    ctx.clock.set(T0 + dt.timedelta(days=366))
    assert purge(ctx)["reports"] == 1
    with session_scope(engine) as s:
        assert [x.number for x in s.execute(select(Report)).scalars()] == [keep.number]


def test_the_purge_job_runs_once_per_day(engine):
    ctx = ctx_for(engine)
    when = dt.datetime(2026, 1, 5, 19, 30, tzinfo=dt.timezone.utc)
    assert run_job(ctx, "purge", when) is True
    assert run_job(ctx, "purge", when) is False


def test_a_purged_report_leaves_no_dangling_pointer_and_an_open_rectification_keeps_its_hazard(engine):
    from bot.checks import tasks
    from bot.rectification import steps
    from storage.models import CheckTask, RectItem

    ctx = ctx_for(engine, "retention: {reports: 365d}")
    gone, looped = report(ctx, "d"), report(ctx, "e")
    with session_scope(engine) as s:  # a check whose problem led to the first report
        task = tasks.issue(ctx, s, kind="patrol", name="patrol", key="patrol:x", owners=["U0OFFICER"],
                           day=T0.date(), due_at=T0, now=T0)
        task.report_id = gone.id
    assert steps.assess(ctx, looped.number, "U0OFFICER", "low", "minor").ok  # its rectification item stays open
    for r in (gone, looped):
        assert transitions.resolve(ctx, r.number, "U0SUPA", "fixed").ok
    ctx.clock.set(T0 + dt.timedelta(days=366))
    assert purge(ctx)["reports"] == 1  # the looped one waits for its item to close
    with session_scope(engine) as s:
        assert [x.number for x in s.execute(select(Report)).scalars()] == [looped.number]
        kept = s.execute(select(CheckTask)).scalar_one()
        assert (kept.key, kept.report_id) == ("patrol:x", None)  # the check's record stays, without the pointer
        assert s.execute(select(RectItem)).scalar_one().state == "planning"
