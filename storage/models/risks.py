"""Risks kept current (#21, §4.1.1): the weekly risk-observation round and the "nothing new" answers."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


class RiskRound(SQLModel, table=True):
    """One week's ask (《风险观察表》, §4.1.1): every team member asked at `asked_at`, answers due by `due_at`;
    `told_at`: when the supervisors were given the names of those who did not answer (once)."""

    __tablename__ = "risk_round"
    __table_args__ = (UniqueConstraint("week", name="uq_risk_round_week"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    week: dt.date  # the nominal day of the week's ask
    asked: list = Field(default_factory=list, sa_type=JSON)  # who was asked
    asked_at: dt.datetime = ts_column(nullable=False)
    due_at: dt.datetime = ts_column(nullable=False)
    told_at: Optional[dt.datetime] = ts_column()


class RiskAnswer(SQLModel, table=True):
    """A member's "nothing new" (无新增风险) to a round; an observation filed after the ask answers it as well."""

    __tablename__ = "risk_answer"
    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_risk_answer_round_user"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="risk_round.id")
    user_id: str = Field(max_length=32)
    answered_at: dt.datetime = ts_column(nullable=False)
