"""Checks (#10): one check someone has to do."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


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


class CheckFinding(SQLModel, table=True):
    """A problem a check recorded (#21, §2.2.2, §4.2.2, §6.1.1): one line of the problem list a team summary, a
    leadership meeting or an inspection was done with; `report_id` is the hazard it became (one click)."""

    __tablename__ = "check_finding"
    __table_args__ = (UniqueConstraint("task_id", "n", name="uq_check_finding_task_n"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="check_task.id", index=True)
    n: int  # its place in the list, from 1
    text: str = Field(sa_type=Text)
    report_id: Optional[int] = Field(default=None, foreign_key="report.id")
    reported_by: Optional[str] = Field(default=None, max_length=32)
    reported_at: Optional[dt.datetime] = ts_column()
