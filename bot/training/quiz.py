"""The test in chat (#23; §3.5.2): start one, answer a question, retake after a fail, run out of time. Each is one
transaction under the test's row lock: the record, an audit row (subject ("training", id)) and the messages.

A double click on an answer, or a click on a question already answered, changes nothing: the answer recorded is
the first one (`answers` only grows, and only at the question now asked).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import i18n
from bot.prefs import locales_of
from bot.text import parse_row_id
from bot.training import SUBJECT, messages
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, Timer, TrainingTest

OPEN, PASSED, FAILED, EXPIRED = "open", "passed", "failed", "expired"
REMIND, DUE = "training_remind", "training_due"  # timer purposes


@dataclass
class Outcome:
    ok: bool
    message: object = None  # what to tell the person (ephemeral), if anything
    view: dict | None = None  # a form to open


def _lock(s, test_id: int) -> TrainingTest | None:
    return s.execute(select(TrainingTest).where(TrainingTest.id == test_id).with_for_update()
                     .execution_options(populate_existing=True)).scalar_one_or_none()


def pick(ctx, seed: str, avoid: set[str]) -> list[str]:
    """The policy's number of questions from the bank, those not in `avoid` first (a retake gets other questions
    while the bank has them), in an order fixed by `seed`."""
    bank = [q.id for q in ctx.org.question_bank.questions]
    rng = random.Random(seed)
    fresh = [q for q in bank if q not in avoid]
    used = [q for q in bank if q in avoid]
    rng.shuffle(fresh)
    rng.shuffle(used)
    return (fresh + used)[:ctx.org.policy.training.test.questions]


def create(ctx, s, user: str, key: str, reason: str, now: dt.datetime, *, period: str | None = None, attempt: int = 1,
           avoid: set[str] = frozenset(), locale: str | None = None, priority: int = messages.URGENT,
           due_from: dt.datetime | None = None) -> TrainingTest:
    """A new test for `user` (the caller made sure `key` is free): its row, its timers, the audit row and its first
    question in the person's DMs. The days to complete count from `due_from` (a scheduled run's moment, so a run
    made up late gives the same deadline), else from now."""
    pol = ctx.org.policy.training.test
    test = TrainingTest(key=key, user_id=user, reason=reason, period=period, attempt=attempt,
                        questions=pick(ctx, key, set(avoid)), answers=[], right=0, pass_mark=pol.pass_mark,
                        status=OPEN, created_at=now, due_at=(due_from or now) + dt.timedelta(days=pol.days))
    s.add(test)
    s.flush()
    s.add(Timer(subject_type=SUBJECT, subject_id=test.id, purpose=DUE, step=-1, cycle=1, due_at=test.due_at,
                fire_at=test.due_at, status="pending"))
    for step, before in enumerate(pol.remind_before):
        moment = test.due_at - before.timedelta
        if moment > now:
            s.add(Timer(subject_type=SUBJECT, subject_id=test.id, purpose=REMIND, step=step, cycle=1,
                        due_at=test.due_at, fire_at=moment, status="pending"))
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system" if reason == "quarterly" else user, action="training_test_sent", subject_type=SUBJECT,
        subject_id=test.id, before=None, note=key[:200],
        after={"user": user, "reason": reason, "attempt": attempt, "questions": list(test.questions)}))
    locale = locale or locales_of(s, ctx.org, [user])[user]
    messages.post_question(ctx, s, test, 0, locale, now, priority=priority)
    return test


def start(ctx, user: str, locale: str) -> Outcome:
    """`/training test`: a test on demand (a retake, a new hire, back from leave). One open test at a time."""
    now = ctx.clock.now()
    try:
        return _start(ctx, user, locale, now)
    except IntegrityError:  # the same command twice at once (another process took the key): one test started
        return Outcome(False, i18n.t(locale, "training.already_open", n=1, total=ctx.org.policy.training.test.questions))


def _start(ctx, user: str, locale: str, now: dt.datetime) -> Outcome:
    with session_scope(ctx.engine) as s:
        open_ = s.execute(select(TrainingTest).where(TrainingTest.user_id == user, TrainingTest.status == OPEN)
                          .order_by(TrainingTest.id.desc())).scalars().first()
        if open_ is not None:
            return Outcome(False, i18n.t(locale, "training.already_open", n=len(open_.answers) + 1,
                                         total=len(open_.questions)))
        count = s.execute(select(func.count()).select_from(TrainingTest).where(
            TrainingTest.user_id == user, TrainingTest.reason == "demand", TrainingTest.attempt == 1)).scalar_one()
        recent = s.execute(select(TrainingTest.questions).where(TrainingTest.user_id == user)
                           .order_by(TrainingTest.id.desc()).limit(2)).scalars().all()
        create(ctx, s, user, f"demand:{user}:{count + 1}:1", "demand", now, avoid={q for qs in recent for q in qs},
               locale=locale)
    ctx.wake()
    return Outcome(True, i18n.t(locale, "training.started"))


def parse_answer(value: str) -> tuple[int, int, int] | None:
    parts = str(value or "").split(":")
    if len(parts) != 3:
        return None
    nums = [parse_row_id(p) if i == 0 else (int(p) if p.isdigit() and len(p) <= 2 else None)
            for i, p in enumerate(parts)]
    return None if None in nums else tuple(nums)  # type: ignore[return-value]


def answer(ctx, user: str, value: str, locale: str) -> Outcome:
    """A radio button chosen: question `index` of the test answered with `choice` (from 1)."""
    parsed = parse_answer(value)
    if parsed is None:
        return Outcome(False, i18n.t(locale, "training.not_found"))
    test_id, index, choice = parsed
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        test = _lock(s, test_id)
        if test is None or test.user_id != user:
            return Outcome(False, i18n.t(locale, "training.not_found"))
        if test.status != OPEN:
            return Outcome(False, i18n.t(locale, "training.finished"))
        if index != len(test.answers) or not 1 <= choice <= len(_question(ctx, test, index).choices):
            return Outcome(False)  # a double click, or an old question: the first answer stands
        q = _question(ctx, test, index)
        locale = locales_of(s, ctx.org, [user])[user]
        test.answers = list(test.answers) + [choice]
        test.right += choice == q.answer
        test.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user, action="training_answer", subject_type=SUBJECT, subject_id=test.id, before=None,
            note="", after={"question": q.id, "index": index, "choice": choice, "right": choice == q.answer}))
        messages.show_answer(ctx, s, test, index, choice, locale, now)
        if len(test.answers) < len(test.questions):
            messages.post_question(ctx, s, test, index + 1, locale, now)
        else:
            _finish(ctx, s, test, now, locale)
    ctx.wake()
    return Outcome(True)


def _question(ctx, test: TrainingTest, index: int):
    return ctx.org.question_bank.by_id()[test.questions[index]]


def passed(test: TrainingTest) -> bool:
    return bool(test.questions) and 100 * test.right >= test.pass_mark * len(test.questions)


def _finish(ctx, s, test: TrainingTest, now: dt.datetime, locale: str, status: str | None = None) -> None:
    test.status = status or (PASSED if passed(test) else FAILED)
    test.finished_at = now
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system" if status else test.user_id, action=f"training_test_{test.status}",
        subject_type=SUBJECT, subject_id=test.id, before={"status": OPEN}, note=test.key[:200],
        after={"status": test.status, "right": test.right, "total": len(test.questions), "mark": test.pass_mark}))
    messages.post_result(ctx, s, test, locale, now)


def retake(ctx, user: str, value: str, locale: str) -> Outcome:
    """After a fail (or time running out): the next attempt, with other questions. Twice clicked: one retake."""
    test_id = parse_row_id(value)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        test = _lock(s, test_id) if test_id else None
        if test is None or test.user_id != user:
            return Outcome(False, i18n.t(locale, "training.not_found"))
        if test.status not in (FAILED, EXPIRED):
            return Outcome(False, i18n.t(locale, "training.no_retake"))
        key = f"{test.key.rsplit(':', 1)[0]}:{test.attempt + 1}"
        if s.execute(select(TrainingTest.id).where(TrainingTest.key == key)).first() is not None:
            return Outcome(False)  # the retake is already under way (a double click)
        create(ctx, s, user, key, test.reason, now, period=test.period, attempt=test.attempt + 1,
               avoid=set(test.questions), locale=locales_of(s, ctx.org, [user])[user])
    ctx.wake()
    return Outcome(True)


def expire(ctx, s, test: TrainingTest, now: dt.datetime) -> None:
    """The days ran out with the test unfinished: recorded as such; the person may still retake it."""
    _finish(ctx, s, test, now, locales_of(s, ctx.org, [test.user_id])[test.user_id], status=EXPIRED)
