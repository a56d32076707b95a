"""Hazards and incidents: the report and an investigation's corrective actions."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, BigInteger, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.models.core import partial_index, ts_column


class Report(SQLModel, table=True):
    """A hazard report (kind='hazard'); incidents will share the table."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("number", name="uq_report_number"),
        UniqueConstraint("source_key", name="uq_report_source_key"),
        Index("ix_report_status_level", "status", "level"),
        # Open items are a small share of a long history and everything the digest and the Home tab look at: their
        # first lines are read in this index's order (a kind, overdue or not: by level, then oldest first); their
        # counts from `ix_report_open_teams` (storage/queries.py `open_figures`). Issue 26.
        partial_index("ix_report_open_figures", "kind", "overdue", "level", "reported_at", "team", "group_id",
                      where="status IN ('open', 'acknowledged')"),  # = OPEN_SQL (defined below)
        # The same rows with the team before the time: `open_figures` groups them by kind, overdue, level and team
        # in this index's order, a streamed GROUP BY (without it, a sort of every open row). Issue 26.
        partial_index("ix_report_open_teams", "kind", "overdue", "level", "team", "reported_at", "group_id",
                      where="status IN ('open', 'acknowledged')"),
        # The weekly summary's figures (by category, by level, places that recur) read a week from this index alone;
        # the digest ranks the day's new reports of every channel from it (`id`: then reads only those rows).
        Index("ix_report_week", "reported_at", "kind", "team", "category", "level", "location", "id"),
        # Times to acknowledge (the daily digest's, the weekly summary's slowest): read from this index alone.
        Index("ix_report_acked", "acknowledged_at", "kind", "team", "reported_at", "acknowledged_by", "reporter_id", "id"),
        Index("ix_report_reporter_status", "reporter_id", "status"),
        # A team's figures of a period (the supervisor's Home tiles, a team channel's digest) read from it alone.
        Index("ix_report_team_reported", "team", "reported_at", "kind", "group_id", "level", "acknowledged_at"),
        # The month's indicators (#22) read only these columns of a month's reports: an index-only range scan.
        Index("ix_report_month_figures", "reported_at", "kind", "group_id", "level", "category", "acknowledged_at",
              "resolved_at", "on_site_at"),
        Index("ix_report_resolved_kind", "resolved_at", "kind", "group_id"),
        # Only grouped reports: `group_id IS NULL` (nearly every row) must not look selective to a planner.
        partial_index("ix_report_group_id", "group_id", where="group_id IS NOT NULL"),
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
    acknowledged_at: Optional[dt.datetime] = ts_column()  # indexed with what its figures read (ix_report_acked)
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
    # #21 §2.3.2: a kind with `on_site_within` (a customer conflict) waits for its partners (security) on site by
    # `partner_due_at`; the first of them to press On site stops that clock.
    partner_due_at: Optional[dt.datetime] = ts_column()
    partner_at: Optional[dt.datetime] = ts_column()
    partner_by: Optional[str] = Field(default=None, max_length=32)
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


# The open-items predicate, literal so that both engines match it to the partial index `ix_report_open_figures`.
OPEN_SQL = "status IN ('open', 'acknowledged')"


def report_is_open():
    return text(f"report.{OPEN_SQL}")


class CorrectiveAction(SQLModel, table=True):
    """A corrective action an investigation decided (§5.2.2, §5.2.3): owner, due date, done or not.

    #21 §5.2.3: each is a rectification item in its own right, held by a hazard filed for it (`item_report_id`,
    bot/incidents/actions.py); `status` turns `done` when that item is verified and closed.
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
    item_report_id: Optional[int] = Field(default=None, foreign_key="report.id", index=True)  # its item's hazard


class PlanReview(SQLModel, table=True):
    """#21 §5.1.1: an emergency plan reviewed (updated quarterly), by whom and when. A plan is stale
    `incident.plan_review_within` after its last review: the latest of these and the file's `reviewed:`."""

    __tablename__ = "plan_review"
    id: Optional[int] = Field(default=None, primary_key=True)
    plan: str = Field(max_length=64, index=True)  # a key of the organisation's `plans:`
    reviewed_at: dt.datetime = ts_column(nullable=False)
    reviewed_by: str = Field(max_length=32)
