"""Drills (#10): the calendar's drills and who took part."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


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
