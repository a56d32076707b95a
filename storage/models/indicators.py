"""Indicators (#22): the monthly figures that are not in Slack, as the safety officer gave them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float
from sqlmodel import Field, SQLModel

from storage.models.core import ts_column


class MonthlyFigure(SQLModel, table=True):
    """One figure of one month (calls handled, complaints received, …): given, never guessed. A second import of
    the same month and key replaces the value (the latest word counts); who gave it and when is kept."""

    __tablename__ = "monthly_figure"
    month: str = Field(primary_key=True, max_length=7)  # 2026-11
    key: str = Field(primary_key=True, max_length=40)
    value: float = Field(sa_type=Float)
    given_by: str = Field(max_length=32)
    given_at: dt.datetime = ts_column(nullable=False)


class SlackFile(SQLModel, table=True):
    """A file the sender uploaded under a key (`indicators:2026-10:charts`): its id, so that posting the same month
    again deletes the old charts (files.delete) before uploading the corrected ones, never a second set."""

    __tablename__ = "slack_file"
    file_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(max_length=96, index=True)
    channel: str = Field(default="", max_length=32)
    uploaded_at: dt.datetime = ts_column(nullable=False)
