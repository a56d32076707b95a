"""The daily purge: what the policy says may go, goes (§3.3).

A report goes with everything of its own (timeline, timers, messages, corrective actions, its closed
rectification item). A hazard whose rectification item is still open stays until the item is closed: the loop is
not cut short by the clock. What only points at a report (a check task that led to it, a later item that names
it as the earlier occurrence, a grouped member of it) keeps its record and loses the pointer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, or_, select, update

from storage.db import session_scope
from storage.models import (
    AuditEvent,
    CheckTask,
    CorrectiveAction,
    OutboxMessage,
    ProcessedEvent,
    RectItem,
    Report,
    SeenRequest,
    SlackMessage,
    Timer,
)

REPLAY_WINDOW = dt.timedelta(minutes=10)  # Slack refuses signatures older than 5 minutes anyway


def purge(ctx, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or ctx.clock.now()
    r = ctx.org.policy.retention
    counts: dict[str, int] = {}
    with session_scope(ctx.engine) as s:
        counts["operation_log"] = s.execute(delete(AuditEvent).where(
            or_(AuditEvent.subject_type.is_(None), AuditEvent.subject_type != "report"),
            AuditEvent.at < now - r.operation_log.timedelta)).rowcount or 0
        counts["delivered_messages"] = s.execute(delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "failed")),
            OutboxMessage.created_at < now - r.delivered_messages.timedelta)).rowcount or 0
        counts["processed_events"] = s.execute(delete(ProcessedEvent).where(
            ProcessedEvent.received_at < now - r.processed_events.timedelta)).rowcount or 0
        counts["seen_requests"] = s.execute(delete(SeenRequest).where(
            SeenRequest.at < now - REPLAY_WINDOW)).rowcount or 0
        counts["reports"] = 0
        if r.reports is not None:
            open_item = exists().where(RectItem.report_id == Report.id, RectItem.state != "closed")
            old = select(Report.id).where(Report.status == "resolved",
                                          Report.resolved_at < now - r.reports.timedelta, ~open_item)
            ids = [i for (i,) in s.execute(old).all()]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for table, column in ((CheckTask, CheckTask.report_id), (RectItem, RectItem.recurring_of),
                                      (Report, Report.group_id), (CorrectiveAction, CorrectiveAction.item_report_id)):
                    s.execute(update(table).where(column.in_(chunk)).values({column.key: None}))
                for table in (AuditEvent, Timer):  # the report's timeline and deadlines (bot/subjects.py)
                    s.execute(delete(table).where(table.subject_type == "report", table.subject_id.in_(chunk)))
                for table, column in ((SlackMessage, SlackMessage.report_id), (OutboxMessage, OutboxMessage.report_id),
                                      (CorrectiveAction, CorrectiveAction.report_id), (RectItem, RectItem.report_id)):
                    s.execute(delete(table).where(column.in_(chunk)))
                s.execute(delete(Report).where(Report.id.in_(chunk)))
            counts["reports"] = len(ids)
        s.add(AuditEvent(at=now, actor="system", action="purged", after=counts))
    return counts
