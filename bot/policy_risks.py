"""Risks kept current, as policy (#21, §4.1, §4.1.1): the weekly risk observation asked of every agent, and where
the risk register is published. Imported by `bot.policy`; every value comes from `policy_default.yaml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.policy_base import CHANNEL_TARGETS, HHMM, PERSON_TARGETS, DurationField, _Strict
from bot.policy_checks import WEEKDAYS

RiskPerson = Literal[PERSON_TARGETS]  # type: ignore[valid-type]
RiskChannel = Literal[CHANNEL_TARGETS]  # type: ignore[valid-type]


class Observations(_Strict):
    """§4.1.1 一线客服专员每周提交《风险观察表》: each team member is asked by DM on `weekday` at `time` (the next
    working day when that day is off), answers with "nothing new" or the form within `answer_within`; then those
    who did not are listed to `missing_to` of their team, once."""

    weekday: Literal[WEEKDAYS]  # type: ignore[valid-type]
    time: HHMM
    answer_within: DurationField  # working days (wd) count on the organisation's calendar
    missing_to: list[RiskPerson] = Field(min_length=1)


class Publish(_Strict):
    """§4.1 风险清单全员公示: the register is posted to `to` when it changed (a risk added or reviewed), checked
    each day at `time`; so each quarter's review reaches everyone too."""

    to: list[RiskChannel] = Field(min_length=1)
    time: HHMM
    lines_max: int = Field(ge=1, le=40)  # risks listed in the post (the highest levels first); the rest counted


class RisksPolicy(_Strict):
    observations: Observations
    publish: Publish

    @model_validator(mode="after")
    def _clock(self) -> "RisksPolicy":
        if self.observations.answer_within.seconds <= 0 and not self.observations.answer_within.working_days:
            raise ValueError("risks.observations.answer_within must be more than nothing")
        return self
