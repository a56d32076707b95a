"""One check to do (#10): issued as a row and a message to each owner, then done or a problem found.

Issuing (`issue`) runs in the caller's transaction (a claimed job run): the `check_task` row, keyed so that a
second run never issues it twice, and one DM per owner in the owner's language with the items as checkboxes,
**All OK** and **Problem found**. Completing (`complete`) is one transaction: the row under its lock, an audit
row, every owner's message edited to say who did it and when, the deadline's timers stopped. A problem records
the check points ticked as not met and answers with the hazard form, prefilled with them ("不符合项：…", #21), for
the handler to open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot import i18n
from bot.checks import SUBJECT, deadlines, findings
from bot.checks.messages import (  # noqa: F401 - the task's messages; callers know them as tasks.*
    CHECKLISTS,
    USER_RE,
    _owners_words,
    content_of,
    items_of,
    may_complete,
    message,
    message_key,
    occasion,
    ordering_key,
    title,
    update_messages,
    with_task_id,
)
from bot.hazards import create, forms
from bot.hazards.kinds import REPORT
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of, user_locale
from bot.subjects import about
from bot.text import parse_row_id
from storage.db import buffer_insert, read_scope, session_scope
from storage.models import AuditEvent, CheckTask

ISSUE_CHUNK = 500  # keys per statement when many tasks are issued at once (bound parameters stay few)
PLACEHOLDER = "task-id-placeholder"  # what a message rendered for many tasks carries until each gets its id


@dataclass
class Outcome:
    ok: bool
    message: Mrkdwn | None = None  # what to tell the person who acted (ephemeral), if anything
    form: dict | None = None  # a view to open (the prefilled hazard form)
    task: CheckTask | None = None


def issue(ctx, s, *, kind: str, name: str, key: str, owners: list[str], day: dt.date, due_at: dt.datetime,
          now: dt.datetime, team: str | None = None, shift: str | None = None, starts_at: dt.datetime | None = None,
          sample: list[str] | None = None) -> CheckTask | None:
    """Issue a task in the caller's transaction: the row and a DM to each owner. None when `key` was issued
    before (a second run, a restart) or nobody holds it."""
    owners = [u for u in dict.fromkeys(owners) if u]
    if not owners or s.execute(select(CheckTask.id).where(CheckTask.key == key)).first() is not None:
        return None
    task = CheckTask(key=key, kind=kind, name=name, team=team, shift=shift, day=day, owners=owners, issued_at=now,
                     starts_at=starts_at, due_at=due_at, sample=list(sample or []), status="pending")
    s.add(task)
    s.flush()
    langs = locales_of(s, ctx.org, owners)
    for owner in owners:
        payload = dict(message(ctx, task, langs[owner]), channel=owner)
        enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(task.id),
                message_key=message_key(task.id, owner), dedupe_key=f"{key}:{owner}"[:128], priority=ROUTINE)
    return task


def issue_many(ctx, s, *, kind: str, name: str, keyed: list[tuple[str, str]], day: dt.date, due_at: dt.datetime,
               now: dt.datetime, team: str | None = None, shift: str | None = None,
               starts_at: dt.datetime | None = None) -> list[tuple[str, CheckTask]]:
    """`issue` for many tasks of one owner each (`keyed`: (key, owner); the pre-shift self-check of every member of
    a shift), in batches: one read of the keys issued before, one flush, one read of the owners' languages, and
    the message rendered once per language (the tasks differ only by their id). Returns (owner, task) issued."""
    keyed = [(key, owner) for key, owner in dict(keyed).items() if owner]
    seen: set[str] = set()
    for start in range(0, len(keyed), ISSUE_CHUNK):
        keys = [key for key, _owner in keyed[start:start + ISSUE_CHUNK]]
        seen.update(s.execute(select(CheckTask.key).where(CheckTask.key.in_(keys))).scalars())
    issued = [(owner, CheckTask(key=key, kind=kind, name=name, team=team, shift=shift, day=day, owners=[owner],
                                issued_at=now, starts_at=starts_at, due_at=due_at, sample=[], status="pending"))
              for key, owner in keyed if key not in seen]
    if not issued:
        return []
    s.add_all([task for _owner, task in issued])
    s.flush()
    langs = locales_of(s, ctx.org, [owner for owner, _task in issued])
    shapes = {locale: message(ctx, issued[0][1], locale, task_id=PLACEHOLDER) for locale in set(langs.values())}
    for owner, task in issued:
        payload = dict(with_task_id(shapes[langs[owner]], PLACEHOLDER, str(task.id)), channel=owner)
        enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(task.id),
                message_key=message_key(task.id, owner), dedupe_key=f"{task.key}:{owner}"[:128], priority=ROUTINE)
    return issued


def _task_id(value: object) -> int | None:
    return parse_row_id(value)


def complete(ctx, value: object, user_id: str, ok: bool, ticked: list | None = None,
             locale: str | None = None) -> Outcome:
    """All OK (`ok`) or Problem found (the `ticked` item keys) on task `value` (a button's value)."""
    now = ctx.clock.now()
    task_id = _task_id(value)
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        task = s.execute(select(CheckTask).where(CheckTask.id == task_id).with_for_update()
                         .execution_options(populate_existing=True)).scalar_one_or_none() if task_id else None
        if task is None:
            return Outcome(False, i18n.t(locale, "checks.not_found"))
        if not may_complete(ctx, task, user_id):
            s.add(AuditEvent(at=now, actor=user_id, action="refused_complete_check", note=task.key[:200]))
            return Outcome(False, i18n.Refusal(i18n.t(locale, "checks.refused", title=title(ctx.org, task, locale),
                                                      roles=_owners_words(ctx, task, locale))))
        if task.status != "pending":
            return Outcome(False, i18n.t(locale, "checks.already", title=title(ctx.org, task, locale),
                                         who=mention(task.done_by), at=fmt_time(task.done_at, ctx.org.tz)))
        if content_of(ctx.org, task):  # #21: done with what it found, on a form (bot/checks/findings.py)
            return Outcome(False, None, findings.record_form(ctx, task, locale), task)
        known = items_of(ctx.org, task)
        picked = [k for k in dict.fromkeys(str(x) for x in (ticked or [])) if k in known]
        if ok and picked:  # ticked something and pressed All OK: ask, do not guess
            return Outcome(False, i18n.t(locale, "checks.ticked_but_ok",
                                         items=i18n.join_list(locale, [known[k].get(locale) for k in picked], "and")))
        task.status, task.done_at, task.done_by = ("done" if ok else "problem"), now, user_id
        task.problems = picked
        task.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="check_done" if ok else "check_problem", subject_type=SUBJECT, subject_id=task.id, before=None,
            note=task.key[:200], after={"task": task.id, "kind": task.kind, "name": task.name, "team": task.team,
                                        "problems": picked, "late": now > task.due_at}))
        deadlines.stop(s, task.id, now)
        update_messages(ctx, s, task, now)
        if ok:
            findings.tell_kinds_done(ctx, s, task, user_id, now)
        form = None if ok else problem_form(ctx, task, picked, locale)
    ctx.wake()
    return Outcome(True, None, form, task)


def problem_form(ctx, task: CheckTask, picked: list[str], locale: str) -> dict:
    """The hazard form, its description the items found wrong (or the check's name) and where."""
    where = occasion(ctx.org, task, locale)
    text = i18n.tp(locale, "checks.problem_description", title=title(ctx.org, task, locale), where=where,
                   items=failed_points(ctx, task, picked, locale))
    return forms.report_form(ctx, locale, text, {"check_task": task.id})


def failed_points(ctx, task: CheckTask, picked: list[str], locale: str) -> str:
    """#21 §2.2.2: the checklist's items are check points; a problem names the points not met, joined with "；"."""
    known = items_of(ctx.org, task)
    return i18n.tp(locale, "checks.points_sep").join(known[k].get(locale) for k in picked if k in known)


def form_failed(locale: str) -> Mrkdwn:
    return i18n.t(locale, "checks.form_failed")


def report_problem(ctx, value: object, user_id: str, data, *, source_key: str, origin_channel: str | None,
                   locale: str | None):
    """The hazard report a Problem found led to, filed from the prefilled form (hazards' own use case), and its
    link on the task and its messages, in one transaction (#18: a crash between them used to lose the link). The
    link is made only for the person who found the problem, once; the report is filed whatever the task says."""
    task_id = _task_id(value)

    def link(s, report, now) -> None:
        if task_id is not None:
            _link(ctx, s, task_id, report, user_id, now)

    return create.create_report(ctx, "hazard", source_key=source_key, reporter_id=user_id, data=data,
                                origin_channel=origin_channel, locale=locale, also=link)


def _link(ctx, s, task_id: int, report, user_id: str, now: dt.datetime) -> bool:
    task = s.execute(select(CheckTask).where(CheckTask.id == task_id).with_for_update()
                     .execution_options(populate_existing=True)).scalar_one_or_none()
    if task is None or task.status != "problem" or task.done_by != user_id or task.report_id is not None:
        return False
    task.report_id = report.id
    task.version += 1
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor=user_id, action="check_reported", **about(REPORT, report.id), before=None, note=task.key[:200],
        after={"task": task.id, "kind": task.kind, "name": task.name, "team": task.team}))
    update_messages(ctx, s, task, now, report.number)
    return True


def find(ctx, task_id: int) -> CheckTask | None:
    with read_scope(ctx.engine) as s:
        return s.get(CheckTask, task_id)
