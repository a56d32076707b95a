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


class TrainingRoster(SQLModel, table=True):
    """A session of the policy's calendar (§3.5.2 monthly safety study, §2.2.2 weekly team study, §5.3.2 quarterly
    expert lecture): the roster sent to its organisers on the day, then saved once (`session_id`: the training
    session recorded with the people who came). `key` (`session:<policy key>:<team or ->:<nominal day>`) makes the
    send idempotent across replicas and restarts."""

    __tablename__ = "training_roster"
    __table_args__ = (UniqueConstraint("key", name="uq_training_roster_key"),
                      Index("ix_training_roster_day", "day"))
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    session_key: str = Field(max_length=40)  # the policy's `training.sessions` key
    kind: str = Field(max_length=24)  # monthly_study | team_study | lecture (TrainingSession.kind)
    team: Optional[str] = Field(default=None, max_length=80)
    day: dt.date
    hours: float
    organisers: list = Field(default_factory=list, sa_type=JSON)
    expected: list = Field(default_factory=list, sa_type=JSON)
    topics: list = Field(default_factory=list, sa_type=JSON)  # texts of the topics added after reviews (lecture)
    status: str = Field(default="open", max_length=16)  # open | saved
    attended: list = Field(default_factory=list, sa_type=JSON)
    session_id: Optional[int] = Field(default=None, foreign_key="training_session.id")
    saved_by: Optional[str] = Field(default=None, max_length=32)
    saved_at: Optional[dt.datetime] = ts_column()
    created_at: dt.datetime = ts_column(nullable=False)


class TrainingTopic(SQLModel, table=True):
    """A topic for the next quarterly lecture (§5.3.2 培训内容随事故和复盘更新), added after an incident review;
    `roster_id` is set when a lecture's notice lists it."""

    __tablename__ = "training_topic"
    __table_args__ = (Index("ix_training_topic_pending", "roster_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    author: str = Field(max_length=32)
    report_id: Optional[int] = None  # the incident it came from, when added from its message
    created_at: dt.datetime = ts_column(nullable=False)
    roster_id: Optional[int] = Field(default=None, foreign_key="training_roster.id")


class StarNomination(SQLModel, table=True):
    """A nomination for the month's Safety Star (§3.5.3 安全之星): `month` is the local month it was made in."""

    __tablename__ = "star_nomination"
    __table_args__ = (Index("ix_star_nomination_month", "month"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)  # 2026-12
    nominee: str = Field(max_length=32)
    nominator: str = Field(max_length=32)
    reason: str = Field(sa_type=Text)
    created_at: dt.datetime = ts_column(nullable=False)


class StarPick(SQLModel, table=True):
    """The leadership group's pick for a month (one per month): asked on the policy's day, picked once."""

    __tablename__ = "star_pick"
    __table_args__ = (UniqueConstraint("month", name="uq_star_pick_month"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    status: str = Field(default="asked", max_length=16)  # asked | picked
    star: Optional[str] = Field(default=None, max_length=32)
    picked_by: Optional[str] = Field(default=None, max_length=32)
    picked_at: Optional[dt.datetime] = ts_column()
    created_at: dt.datetime = ts_column(nullable=False)


class TeamMember(SQLModel, table=True):
    """The people the organisation file listed in each team when last read (§3.5.1): a person new to a team starts
    induction."""

    __tablename__ = "team_member"
    team: str = Field(primary_key=True, max_length=80)
    user_id: str = Field(primary_key=True, max_length=32)
    since: dt.datetime = ts_column(nullable=False)
    induction: bool = Field(default=False)  # joined the organisation with this team: in induction (§3.5.1)
