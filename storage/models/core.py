"""The core's tables: timestamps, numbering, the audit trail, the outbox and where messages live, timers, job
runs, replays and people's languages. Every timestamp is stored timezone-aware in UTC (`UTCDateTime`: timestamptz
on PostgreSQL; on SQLite naive UTC text read back as aware)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index of only the rows `where` holds, on both engines. SQLite's condition is set here, PostgreSQL's when an
    engine for it is made (`postgresql_conditions`, called by storage.db.make_engine): naming `postgresql_where` here
    would import SQLAlchemy's PostgreSQL dialect, and with it its five drivers' modules, into every SQLite process
    (~2.3 MB of `serve`, issue 26). The migrations create the same indexes with both conditions."""
    index = Index(name, *columns, sqlite_where=text(where))
    index.info["where"] = where
    return index


def postgresql_conditions(metadata) -> None:
    """Give every `partial_index` of `metadata` its PostgreSQL condition (what `postgresql_where=` would have)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.info.get("where")
            if where is not None:
                index.dialect_options["postgresql"]["where"] = text(where)


class UTCDateTime(TypeDecorator):
    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True):
        super().__init__(timezone=timezone)

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def ts_column(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Sequence(SQLModel, table=True):
    """Per-kind, per-year counters for report numbers (HZ-2026-00042)."""

    __tablename__ = "sequence"
    name: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)


class AuditEvent(SQLModel, table=True):
    """Append-only audit trail and report timeline: who, what, when, before → after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_subject_at", "subject_type", "subject_id", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    at: dt.datetime = ts_column(nullable=False, index=True)
    actor: str = Field(max_length=32)  # a Slack user id, or "system"
    action: str = Field(max_length=48)
    # What the row is about (bot/subjects.py): ("report", id) is a hazard's or incident's timeline, ("check_task", id),
    # ("drill", id), ("risk", id)…; none for a person's own settings and refusals (the operation log).
    subject_type: Optional[str] = Field(default=None, max_length=24)
    subject_id: Optional[int] = Field(default=None)
    before: Optional[dict] = Field(default=None, sa_type=JSON)
    after: Optional[dict] = Field(default=None, sa_type=JSON)
    note: str = Field(default="", sa_type=Text)


class OutboxMessage(SQLModel, table=True):
    """A Slack Web API call to make. Written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "next_attempt_at"),
        Index("ix_outbox_order", "ordering_key", "id"),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: dt.datetime = ts_column(nullable=False)
    method: str = Field(max_length=48)  # chat.postMessage | chat.update | chat.postEphemeral
    payload: dict = Field(sa_type=JSON)
    ordering_key: str = Field(max_length=64)  # rows of one key are delivered in id order
    message_key: Optional[str] = Field(default=None, max_length=96)  # a post: remember its ts under this key
    target_key: Optional[str] = Field(default=None, max_length=96)  # an update / thread reply: the message it targets
    dedupe_key: Optional[str] = Field(default=None, max_length=128)
    # 0 urgent (cards and notices of urgent levels, escalations), 1 routine, 2 bulk (digests, edits, Home):
    # the sender takes due rows in this order; rows of one ordering_key still go in id order.
    priority: int = Field(default=1)
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    attempts: int = Field(default=0)
    next_attempt_at: dt.datetime = ts_column(nullable=False)
    lease_until: Optional[dt.datetime] = ts_column()
    expires_at: Optional[dt.datetime] = ts_column()  # ephemeral answers are useless once stale
    uncertain: bool = Field(default=False)  # an earlier attempt may have reached Slack: look before posting again
    sent_at: Optional[dt.datetime] = ts_column()
    last_error: str = Field(default="", sa_type=Text)
    report_id: Optional[int] = Field(default=None, index=True)


class SlackMessage(SQLModel, table=True):
    """Where a posted message lives, so later changes update it in place."""

    __tablename__ = "slack_message"
    __table_args__ = (Index("ix_slack_message_channel_ts", "channel", "ts", unique=True),)
    key: str = Field(primary_key=True, max_length=96)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    report_id: Optional[int] = Field(default=None, index=True)
    posted_at: dt.datetime = ts_column(nullable=False)


class ProcessedEvent(SQLModel, table=True):
    """Events API deliveries already handled (Slack retries carry the same event_id)."""

    __tablename__ = "processed_event"
    event_id: str = Field(primary_key=True, max_length=64)
    received_at: dt.datetime = ts_column(nullable=False, index=True)


class Timer(SQLModel, table=True):
    """A due moment of an open item: one rung of an escalation ladder or a deadline."""

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "purpose", "step", "cycle", name="uq_timer_subject_step"),
        Index("ix_timer_due", "status", "fire_at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    # What the timer guards (bot/subjects.py): ("report", id) for a hazard's or incident's deadlines and ladders
    # (a rectification item's run on its hazard's report), ("check_task", id) for a check; a new kind adds its own.
    subject_type: str = Field(max_length=24)
    subject_id: int
    purpose: str = Field(max_length=16)  # acknowledge | resolve | a kind's own (the registry says who fires it)
    step: int  # -1: the deadline itself (card turns OVERDUE); 0..n: ladder rungs
    cycle: int = Field(default=1)
    due_at: dt.datetime = ts_column(nullable=False)  # when the policy says
    fire_at: dt.datetime = ts_column(nullable=False)  # when to act (working hours may defer)
    status: str = Field(default="pending", max_length=16)  # pending | fired | cancelled
    fired_at: Optional[dt.datetime] = ts_column()
    late: bool = Field(default=False)


class JobRun(SQLModel, table=True):
    """A claimed run of a recurring job: (job, scheduled time) runs once, whatever the process count."""

    __tablename__ = "job_run"
    job: str = Field(primary_key=True, max_length=64)
    scheduled_for: dt.datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    started_at: dt.datetime = ts_column(nullable=False)
    finished_at: Optional[dt.datetime] = ts_column()
    runner: str = Field(default="", max_length=64)


class SeenRequest(SQLModel, table=True):
    """Signatures of requests already accepted: an exact replay within Slack's 5-minute window is refused."""

    __tablename__ = "seen_request"
    signature: str = Field(primary_key=True, max_length=80)
    at: dt.datetime = ts_column(nullable=False, index=True)


class UserPref(SQLModel, table=True):
    __tablename__ = "user_pref"
    user_id: str = Field(primary_key=True, max_length=32)
    locale: str = Field(max_length=8)
