"""SQLModel tables: the system of record.

Every timestamp is stored timezone-aware in UTC (`UTCDateTime`: timestamptz on
PostgreSQL; on SQLite naive UTC text read back as aware).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint, text
from sqlmodel import Field, SQLModel


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


class Report(SQLModel, table=True):
    """A hazard report (kind='hazard'); incidents will share the table."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("number", name="uq_report_number"),
        UniqueConstraint("source_key", name="uq_report_source_key"),
        Index("ix_report_status_level", "status", "level"),
        # Open items are a small share of a long history and everything the digest looks at.
        Index("ix_report_open", "team", "level", "reported_at",
              sqlite_where=text("status IN ('open', 'acknowledged')"),  # = OPEN_SQL (defined below)
              postgresql_where=text("status IN ('open', 'acknowledged')")),
        Index("ix_report_reporter_status", "reporter_id", "status"),
        Index("ix_report_team_reported", "team", "reported_at"),
        # Only grouped reports: `group_id IS NULL` (nearly every row) must not look selective to a planner.
        Index("ix_report_group_id", "group_id", sqlite_where=text("group_id IS NOT NULL"),
              postgresql_where=text("group_id IS NOT NULL")),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="hazard", max_length=16)
    number: str = Field(max_length=32)
    year: int
    seq: int = Field(sa_type=BigInteger)
    source_key: str = Field(max_length=128)  # the Slack view id: the same submission twice makes one report
    category: str = Field(max_length=48)
    level: int
    location: str = Field(default="", sa_type=Text)
    description: str = Field(sa_type=Text)
    suggestion: str = Field(default="", sa_type=Text)
    photos: list = Field(default_factory=list, sa_type=JSON)
    reporter_id: str = Field(max_length=32)
    # False: the reporter is not in the organisation file. Accepted (safety first), marked on the card,
    # and never the lead of a group that people of the organisation join.
    reporter_known: bool = Field(default=True)
    team: Optional[str] = Field(default=None, max_length=80)
    origin_channel: Optional[str] = Field(default=None, max_length=32)
    status: str = Field(default="open", max_length=16)  # open | acknowledged | resolved
    reported_at: dt.datetime = ts_column(nullable=False, index=True)
    respond_due_at: dt.datetime = ts_column(nullable=False)
    resolve_due_at: dt.datetime = ts_column(nullable=False)
    acknowledged_at: Optional[dt.datetime] = ts_column(index=True)
    acknowledged_by: Optional[str] = Field(default=None, max_length=32)
    resolved_at: Optional[dt.datetime] = ts_column(index=True)
    resolved_by: Optional[str] = Field(default=None, max_length=32)
    resolution_note: str = Field(default="", sa_type=Text)
    # Who does the work (`@SafeShift assign @person`), kept apart from who answers for it (the responders).
    assigned_to: Optional[str] = Field(default=None, max_length=32)
    overdue: bool = Field(default=False)
    version: int = Field(default=1)
    # A report of the same place within the policy's grouping window joins the first one (its lead):
    # no card of its own; it follows the lead's acknowledgement and resolution.
    group_id: Optional[int] = Field(default=None, foreign_key="report.id")
    # Incidents (kind='incident', #9): `category` is the kind of incident. Who is affected, what was already
    # done, a link to the Slack message it came from; who went on site; the after-the-event tasks (§3.2.2
    # special report, §5.2.2 investigation, §5.3.1 post-mortem), each due (or not) and done (or not).
    affected: str = Field(default="", sa_type=Text)
    actions_taken: str = Field(default="", sa_type=Text)
    source_link: str = Field(default="", sa_type=Text)
    on_site_at: Optional[dt.datetime] = ts_column()
    on_site_by: Optional[str] = Field(default=None, max_length=32)
    special_report_due_at: Optional[dt.datetime] = ts_column()
    special_report_at: Optional[dt.datetime] = ts_column()
    special_report_by: Optional[str] = Field(default=None, max_length=32)
    special_report: str = Field(default="", sa_type=Text)
    investigation_due_at: Optional[dt.datetime] = ts_column()
    investigation_at: Optional[dt.datetime] = ts_column()
    investigation_by: Optional[str] = Field(default=None, max_length=32)
    investigation: Optional[dict] = Field(default=None, sa_type=JSON)
    postmortem_at: Optional[dt.datetime] = ts_column()
    postmortem_by: Optional[str] = Field(default=None, max_length=32)
    postmortem: str = Field(default="", sa_type=Text)


# The open-items predicate, literal so that both engines match it to the partial index `ix_report_open`.
OPEN_SQL = "status IN ('open', 'acknowledged')"


def report_is_open():
    return text(f"report.{OPEN_SQL}")


class CorrectiveAction(SQLModel, table=True):
    """A corrective action an investigation decided (§5.2.2, §5.2.3): owner, due date, done or not.

    Tracked here until rectification items (整改, #"Rectification closed loop") exist; then each becomes one.
    """

    __tablename__ = "corrective_action"
    __table_args__ = (Index("ix_corrective_action_open", "status", "due_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    description: str = Field(sa_type=Text)
    owner: str = Field(max_length=32)
    due_at: dt.datetime = ts_column(nullable=False)
    status: str = Field(default="open", max_length=16)  # open | done
    created_at: dt.datetime = ts_column(nullable=False)
    created_by: str = Field(max_length=32)
    done_at: Optional[dt.datetime] = ts_column()
    done_by: Optional[str] = Field(default=None, max_length=32)


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


class RectItem(SQLModel, table=True):
    """A rectification item (整改, §4.3): tracked work on a hazard, with states of its own.

    state: planning (the owner writes the plan) → approval (plan submitted) → in_progress (approved, the
    deadline runs) → verification (completion report submitted) → closed (verified). A plan sent back
    returns to planning; a failed verification to in_progress with a new deadline. Its history (plan
    versions, extension requests, verifications) is its hazard's `audit_event` timeline.
    """

    __tablename__ = "rect_item"
    __table_args__ = (UniqueConstraint("report_id", name="uq_rect_item_report"),
                      Index("ix_rect_item_state", "state", "risk"), Index("ix_rect_item_team", "team", "due_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id")
    team: Optional[str] = Field(default=None, max_length=80)
    likelihood: str = Field(max_length=8)
    impact: str = Field(max_length=8)
    risk: str = Field(max_length=8)  # high | medium | low, through the policy's matrix
    state: str = Field(default="planning", max_length=16)
    accountable: str = Field(max_length=32)  # who answers for it
    assigned: str = Field(max_length=32)  # who does it
    created_at: dt.datetime = ts_column(nullable=False, index=True)
    created_by: str = Field(max_length=32)
    plan: Optional[dict] = Field(default=None, sa_type=JSON)  # measures, resources, target (the latest version)
    plan_version: int = Field(default=0)
    approved_at: Optional[dt.datetime] = ts_column()
    approved_by: Optional[str] = Field(default=None, max_length=32)
    first_due_at: Optional[dt.datetime] = ts_column()  # the deadline set at approval, kept when extended
    due_at: Optional[dt.datetime] = ts_column()
    extensions: int = Field(default=0)
    ext_due_at: Optional[dt.datetime] = ts_column()  # a pending extension request: the date asked for
    ext_reason: str = Field(default="", sa_type=Text)
    ext_by: Optional[str] = Field(default=None, max_length=32)
    completed_at: Optional[dt.datetime] = ts_column()
    completed_by: Optional[str] = Field(default=None, max_length=32)
    completion: str = Field(default="", sa_type=Text)
    evidence: list = Field(default_factory=list, sa_type=JSON)  # photos of the completion report
    verified_at: Optional[dt.datetime] = ts_column()
    verified_by: Optional[str] = Field(default=None, max_length=32)
    closed_at: Optional[dt.datetime] = ts_column(index=True)
    overdue: bool = Field(default=False)
    was_overdue: bool = Field(default=False)  # went past a deadline at least once (§4.3.2 "in a row")
    flagged: bool = Field(default=False)  # the second overdue item in a row of its team: the supervisor is marked
    recurring_of: Optional[int] = Field(default=None, foreign_key="report.id")  # the earlier hazard (§6.1.2)
    supervised: bool = Field(default=False)  # 督办事项: followed by the department head
    version: int = Field(default=1)


class Risk(SQLModel, table=True):
    """The risk register (风险清单, §4.1): a risk, its level through the matrix, controls, owner, last review.
    kind 'observation' is an agent's weekly risk observation (风险观察表, §4.1.1)."""

    __tablename__ = "risk"
    __table_args__ = (Index("ix_risk_kind_level", "kind", "level"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="risk", max_length=16)  # risk | observation
    description: str = Field(sa_type=Text)
    likelihood: Optional[str] = Field(default=None, max_length=8)
    impact: Optional[str] = Field(default=None, max_length=8)
    level: Optional[str] = Field(default=None, max_length=8)
    controls: str = Field(default="", sa_type=Text)
    owner: Optional[str] = Field(default=None, max_length=32)
    team: Optional[str] = Field(default=None, max_length=80)
    created_at: dt.datetime = ts_column(nullable=False, index=True)
    created_by: str = Field(max_length=32)
    reviewed_at: Optional[dt.datetime] = ts_column()
    reviewed_by: Optional[str] = Field(default=None, max_length=32)


class CheckTask(SQLModel, table=True):
    """One check to do (#10): a checklist of a shift or a day, or an occurrence of a recurring check.

    kind: pre_shift | briefing (one per person of a shift) | end_of_day (one per on-duty person) | patrol |
    check (a recurring check; `name` is its policy key). `key` makes issuing it idempotent: a restart or a
    second process never issues the same check twice. Any of `owners` may complete it: done (all fine) or
    problem (the items found wrong, and the hazard report it led to).
    """

    __tablename__ = "check_task"
    __table_args__ = (UniqueConstraint("key", name="uq_check_task_key"),
                      Index("ix_check_task_status_due", "status", "due_at"),
                      Index("ix_check_task_team_day", "team", "day"))
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=48)
    team: Optional[str] = Field(default=None, max_length=80)
    shift: Optional[str] = Field(default=None, max_length=40)
    day: dt.date  # the local day (or the first day of the period) it belongs to
    owners: list = Field(default_factory=list, sa_type=JSON)
    issued_at: dt.datetime = ts_column(nullable=False)
    starts_at: Optional[dt.datetime] = ts_column()  # a shift checklist: the shift's start
    due_at: dt.datetime = ts_column(nullable=False)
    status: str = Field(default="pending", max_length=16)  # pending | done | problem
    done_at: Optional[dt.datetime] = ts_column()
    done_by: Optional[str] = Field(default=None, max_length=32)
    problems: list = Field(default_factory=list, sa_type=JSON)  # item keys found wrong
    note: str = Field(default="", sa_type=Text)
    sample: list = Field(default_factory=list, sa_type=JSON)  # a spot check: the workstations picked
    report_id: Optional[int] = Field(default=None, foreign_key="report.id")  # the hazard it led to
    overdue: bool = Field(default=False)
    version: int = Field(default=1)


class Drill(SQLModel, table=True):
    """A drill of the calendar (演练, §3.4.2): laid out from the policy's cadence, movable, evaluated after.

    status: planned → held (attendance taken) → evaluated; or cancelled. `period` (e.g. 2027-04) with
    `kind` makes laying out the calendar idempotent.
    """

    __tablename__ = "drill"
    __table_args__ = (UniqueConstraint("kind", "period", name="uq_drill_kind_period"),
                      Index("ix_drill_at", "status", "planned_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    period: str = Field(max_length=16)
    plan: Optional[str] = Field(default=None, max_length=48)
    planned_at: dt.datetime = ts_column(nullable=False)
    moved_by: Optional[str] = Field(default=None, max_length=32)
    status: str = Field(default="planned", max_length=16)
    notices: list = Field(default_factory=list, sa_type=JSON)  # the notices already sent ("7d", "1d", "day")
    score: Optional[int] = Field(default=None)
    passed: Optional[bool] = Field(default=None)
    problems: list = Field(default_factory=list, sa_type=JSON)  # texts; each became a rectification item
    summary: str = Field(default="", sa_type=Text)
    evaluated_at: Optional[dt.datetime] = ts_column()
    evaluated_by: Optional[str] = Field(default=None, max_length=32)
    created_at: dt.datetime = ts_column(nullable=False)
    version: int = Field(default=1)


class DrillAttendance(SQLModel, table=True):
    """Who took part in a drill (the attendance buttons on the day)."""

    __tablename__ = "drill_attendance"
    drill_id: int = Field(foreign_key="drill.id", primary_key=True)
    user_id: str = Field(primary_key=True, max_length=32)
    at: dt.datetime = ts_column(nullable=False)
