"""Rectification (#11): the item that follows a hazard, and the risk register."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


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
