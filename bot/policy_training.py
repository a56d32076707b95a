"""Training as policy (#23; §3.5): the question bank's shape, the test's numbers, the quarterly send.

The question bank is a YAML file (`training.bank: path/to/bank.yaml`, relative to the organisation file; none: the
built-in `training_bank_default.yaml`, both languages, every question citing the section of the source document it
checks). `load_bank(path)` validates it and reports *every* problem as "path:line: where: what", one a line, the
way the organisation file's loader does (`bot.policy_base.line_of`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.policy_base import HHMM, ConfigError, DurationField, Localized, UserId, _Strict, line_of, read_config
from bot.workdays import WEEKDAYS

DEFAULT_BANK_PATH = Path(__file__).with_name("training_bank_default.yaml")
CHOICE_MAX = 75  # Slack's limit on a radio button's text
QUESTION_MAX = 1500
CHOICES_MAX = 6  # A…F
KEY = r"^[a-z][a-z0-9_\-]{0,40}$"


# --------------------------------------------------------------------------- the policy section
class TrainingTest(_Strict):
    """The test (§3.5.2 季度测试; induction uses the same): how many questions, the pass mark (percent of right
    answers), how long a person has, and the reminders before the days run out."""

    questions: int = Field(ge=1, le=50)
    pass_mark: int = Field(ge=1, le=100)
    days: int = Field(ge=1, le=90)
    remind_before: list[DurationField] = []

    @field_validator("remind_before")
    @classmethod
    def _clock(cls, v):
        for d in v:
            if d.working_days:
                raise ValueError("training.test.remind_before is a clock duration (h, d)")
        return v


class Quarterly(_Strict):
    """The quarterly test's send: from the first working day of each quarter, at `time` local, to every member."""

    time: HHMM


class Induction(_Strict):
    """Induction (§3.5.1 入职培训): theory and practice hours, then a passed test (考核通过后方可上岗). `pending`: the
    people in induction; each is cleared once their hours are recorded and a test is passed."""

    theory: DurationField
    practice: DurationField
    pending: list[UserId] = []

    @field_validator("theory", "practice")
    @classmethod
    def _hours(cls, v):
        if v.working_days:
            raise ValueError("induction hours are a clock duration (h)")
        return v




class Session(_Strict):
    """A session on the calendar (§3.5.2 每月安全学习会, §2.2.2 每周团队安全学习, §5.3.2 每季度专题讲座): its day (a
    nominal day; a day off moves it to the next working day, like checks), its organisers (who get the roster on the
    day), who is expected (each team, or the whole department) and the hours a person who came is credited with.
    `check`: the policy's recurring check (`checks.every`) that *is* this session: no roster on the day; the check's
    Done opens the roster instead (one message for one study)."""

    name: Localized
    kind: Literal["monthly_study", "team_study", "lecture"]
    check: str | None = None
    every: Literal["week", "month", "quarter"] | None = None
    weekday: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]
    day: int | None = Field(default=None, ge=1, le=28)
    months: list[int] = []
    time: HHMM | None = None
    hours: DurationField
    organiser: list[Literal["safety_officer", "department_head", "deputy", "team_supervisors"]] = []
    attendees: Literal["team", "department"]

    @model_validator(mode="after")
    def _cadence(self) -> "Session":
        if self.hours.working_days or not 0 < self.hours.seconds <= 24 * 3600:
            raise ValueError("a session's hours are a clock duration of at most 24h")
        if self.check:
            return self
        if self.every is None or self.time is None or not self.organiser:
            raise ValueError("a session names its `check`, or its `every`, `time` and `organiser`")
        if self.every == "week" and self.weekday is None:
            raise ValueError("a weekly session names its `weekday`")
        if self.every in ("month", "quarter") and self.day is None:
            raise ValueError("a monthly or quarterly session names its `day` of the month (1-28)")
        if self.every == "quarter" and (len(self.months) != 4 or any(not 1 <= m <= 12 for m in self.months)):
            raise ValueError("a quarterly session names its four `months` (1-12)")
        return self


class Star(_Strict):
    """The Safety Star of the month (§3.5.3 安全之星): the leadership group is asked on `day` of the next month (a
    day off: the next working day) at `time`, with the month's nominations."""

    day: int = Field(ge=1, le=28)
    time: HHMM


class Training(_Strict):
    bank: str | None = None  # the organisation's question bank; none: the built-in one
    test: TrainingTest
    quarterly: Quarterly
    induction: Induction
    sessions: dict[str, Session] = {}
    star: Star

    @field_validator("sessions", mode="before")
    @classmethod
    def _switched_off(cls, v):
        # The organisation file merges over the built-in sessions: `name: null` switches one off.
        return {k: x for k, x in v.items() if x is not None} if isinstance(v, dict) else v

    @field_validator("sessions")
    @classmethod
    def _session_keys(cls, v: dict) -> dict:
        for k in v:
            if not re.match(KEY, k):
                raise ValueError(f"session key {k!r}: lower-case letters, digits, _ or -")
        return v

    def bank_path(self) -> Path:
        return Path(self.bank) if self.bank else DEFAULT_BANK_PATH


# --------------------------------------------------------------------------- the question bank
class _Text(Localized):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    en: str = Field(min_length=1, max_length=QUESTION_MAX)
    zh_CN: str = Field(alias="zh-CN", min_length=1, max_length=QUESTION_MAX)


class Choice(Localized):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    en: str = Field(min_length=1, max_length=CHOICE_MAX)
    zh_CN: str = Field(alias="zh-CN", min_length=1, max_length=CHOICE_MAX)


class Question(_Strict):
    id: Annotated[str, Field(pattern=KEY)]
    topic: Annotated[str, Field(pattern=KEY)]
    section: Annotated[str, Field(pattern=r"^\d+(\.\d+){1,3}$")]  # the source document's section it checks
    question: _Text
    choices: list[Choice] = Field(min_length=2, max_length=CHOICES_MAX)
    answer: int  # the right choice, counted from 1
    explanation: _Text

    @model_validator(mode="after")
    def _answer_in_range(self) -> "Question":
        if not 1 <= self.answer <= len(self.choices):
            raise ValueError(f"answer {self.answer} is not one of the choices 1…{len(self.choices)}")
        return self


class Bank(_Strict):
    questions: list[Question] = Field(min_length=1)

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))) or "(top)"


def parse_bank(text: str, source: str) -> Bank:
    """The bank in `text`, or ConfigError listing every problem as "source:line: where: what"."""
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}:1: a question bank is a mapping with a `questions:` list")
    problems: list[tuple[int, str]] = []
    bank = None
    try:
        bank = Bank.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append((line_of(node, loc) or 1, f"{_where(loc)}: {err['msg'].removeprefix('Value error, ')}"))
    items = raw.get("questions") if isinstance(raw.get("questions"), list) else []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        qid = item.get("id") if isinstance(item, dict) else None
        if isinstance(qid, str) and qid in seen:
            problems.append((line_of(node, ("questions", i, "id")) or 1,
                             f"questions.{i}.id: {qid!r} is already the id of question {seen[qid]}"))
        elif isinstance(qid, str):
            seen[qid] = i
    if problems:
        raise ConfigError("\n".join(f"{source}:{line}: {what}" for line, what in sorted(problems)))
    return bank


def load_bank(path: str | Path) -> Bank:
    return parse_bank(*read_config(path, "the question bank", "policy training.bank"))
