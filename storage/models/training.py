"""Training (#23; §3.5): the tests people take in chat, and the sessions recorded."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


class TrainingTest(SQLModel, table=True):
    """One attempt at the test (§3.5.2 季度测试), taken one question at a time in a DM.

    `key` makes sending idempotent: `quarterly:2027Q1:U0X:1` (the quarter's test, attempt 1), `…:2` its retake,
    `demand:U0X:3` the third test a person started with `/training test`. status: open → passed | failed | expired.
    `questions` are the bank's ids in the order asked; `answers[i]` the choice given to question i (from 1).
    """

    __tablename__ = "training_test"
    __table_args__ = (UniqueConstraint("key", name="uq_training_test_key"),
                      Index("ix_training_test_user", "user_id", "status"))
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    user_id: str = Field(max_length=32)
    reason: str = Field(max_length=16)  # quarterly | demand
    period: Optional[str] = Field(default=None, max_length=16)  # the quarter, for the quarterly test
    attempt: int = Field(default=1)
    questions: list = Field(default_factory=list, sa_type=JSON)
    answers: list = Field(default_factory=list, sa_type=JSON)
    right: int = Field(default=0)
    pass_mark: int  # percent, as the policy said when the test was sent
    status: str = Field(default="open", max_length=16)
    created_at: dt.datetime = ts_column(nullable=False)
    due_at: dt.datetime = ts_column(nullable=False)
    finished_at: Optional[dt.datetime] = ts_column()
    version: int = Field(default=1)


class TrainingSession(SQLModel, table=True):
    """A training session recorded with `/training record` (§3.5.1, §3.5.2): course, kind, day, hours, who."""

    __tablename__ = "training_session"
    id: Optional[int] = Field(default=None, primary_key=True)
    course: str = Field(sa_type=Text)
    kind: str = Field(max_length=24)
    day: dt.date
    hours: float
    recorded_by: str = Field(max_length=32)
    recorded_at: dt.datetime = ts_column(nullable=False)


class TrainingAttendance(SQLModel, table=True):
    """Who took part in a recorded session."""

    __tablename__ = "training_attendance"
    __table_args__ = (Index("ix_training_attendance_user", "user_id"),)
    session_id: int = Field(foreign_key="training_session.id", primary_key=True)
    user_id: str = Field(primary_key=True, max_length=32)


class SafetyNote(SQLModel, table=True):
    """The daily safety update (§2.3.3 安全专员负责每日更新安全动态): `/safeshift note …` by the safety officer; it goes
    out once, in the next daily digest (`published_at` is set in the digest run's transaction)."""

    __tablename__ = "safety_note"
    __table_args__ = (Index("ix_safety_note_pending", "published_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    author: str = Field(max_length=32)
    created_at: dt.datetime = ts_column(nullable=False)
    published_at: Optional[dt.datetime] = ts_column()
