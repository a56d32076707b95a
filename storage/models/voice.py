"""The voice kinds (#24): anonymous suggestions (匿名信箱, §2.3.3) and the violations ledger (违规, §3.6.2).

A suggestion keeps no trace of who sent it: no user id, no name, no channel, no request id, and no time finer
than the day (`day`). What the leadership does with it is theirs and keeps their names and times.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


class Suggestion(SQLModel, table=True):
    """status: received → replied (an answer, still open) → adopted | declined. `posted`: sent to the leadership
    channel by the next batch (the post's time says nothing about when it was written)."""

    __tablename__ = "suggestion"
    __table_args__ = (UniqueConstraint("code", name="uq_suggestion_code"), Index("ix_suggestion_day", "day"))
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    day: dt.date
    text: str = Field(sa_type=Text)
    status: str = Field(default="received", max_length=16)
    posted: bool = Field(default=False)
    reply: str = Field(default="", sa_type=Text)
    answered_by: Optional[str] = Field(default=None, max_length=32)  # the leadership member, not the sender
    decided_on: Optional[dt.date] = None


class Violation(SQLModel, table=True):
    """One entry of the violations ledger (§3.6.2): who, what, the graded step that applied, who recorded it;
    the person's appeal and its decision by someone other than the recorder; a required action (§3.2.3)."""

    __tablename__ = "violation"
    __table_args__ = (UniqueConstraint("source_key", name="uq_violation_source"),
                      Index("ix_violation_person", "person_id", "occurred_on"))
    id: Optional[int] = Field(default=None, primary_key=True)
    source_key: str = Field(max_length=128)  # the form's view id: one form, one entry
    person_id: str = Field(max_length=32)
    what: str = Field(sa_type=Text)
    occurred_on: dt.date
    evidence: str = Field(default="", sa_type=Text)
    linked: str = Field(default="", max_length=64)  # a hazard or incident number
    caused_accident: bool = Field(default=False)
    step: str = Field(max_length=24)  # oral_warning | written_notice | pay_cut_transfer | accountability
    count: int = Field(default=1)  # this person's violations within the window, this one included
    recorded_by: str = Field(max_length=32)
    recorded_at: dt.datetime = ts_column(nullable=False)
    action: str = Field(default="", max_length=32)  # a required action (suspend_calls), or ""
    action_owner: Optional[str] = Field(default=None, max_length=32)
    action_due: Optional[dt.date] = None
    appeal: str = Field(default="", sa_type=Text)
    appeal_status: str = Field(default="", max_length=16)  # "" | pending | upheld | overturned
    appealed_at: Optional[dt.datetime] = ts_column()
    appeal_decided_by: Optional[str] = Field(default=None, max_length=32)
    appeal_note: str = Field(default="", sa_type=Text)
