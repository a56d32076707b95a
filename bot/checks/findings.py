"""Checks that record what was found (#21, §2.2.2, §4.2.2, §6.1.1–6.1.2).

A check with `content` in the policy (the team's summary and study, the leadership meeting, the special and the
comprehensive inspections) is not done with a bare button: **Done** opens a form that takes its content (the
minutes, the summary or the findings) and its problem list, one problem a line. Recording it is one transaction:
the task done (or "problem" when the list is not empty), a `check_finding` row per problem, an audit row, the
owners' messages edited to show the content and a **File as hazard** button per problem, the deadline's timers
stopped. A press on such a button files the problem as a hazard through the hazards kind's published use case
(`create_report(…, also=link)`): the report and its link on the finding are one transaction, and the same press
twice files one report (its source key names the finding).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from bot import i18n, ids, registry
from bot.checks import SUBJECT, deadlines
from bot.checks.messages import _owners_words, content_of, may_complete, occasion, title, update_messages
from bot.hazards import create
from bot.hazards.kinds import REPORT
from bot.i18n import Mrkdwn, mention
from bot.render import render
from bot.subjects import about
from bot.text import clean_text, parse_row_id
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, CheckFinding, CheckTask, Report

CONTENT_BLOCK, PROBLEMS_BLOCK = "check_content", "check_problems"
PROBLEM_MAX = 500  # one problem line (it becomes a hazard's description, with the check's name and occasion)


@dataclass
class Recorded:
    ok: bool
    errors: dict | None = None  # {block id: what is wrong}, shown on the form
    message: Mrkdwn | None = None  # to the person, ephemeral


def record_form(ctx, task: CheckTask, locale: str) -> dict:
    """The form Done opens: the content, and the problems one a line."""
    content = content_of(ctx.org, task)
    pol = ctx.org.policy
    return render("check_record", locale, callback_id=ids.CHECK_RECORD_VIEW,
                  private_metadata=json.dumps({"task": task.id}),
                  head=i18n.t(locale, "checks.record.head", title=title(ctx.org, task, locale),
                              occasion=occasion(ctx.org, task, locale)),
                  content_label=i18n.tp(locale, f"checks.record.{content}"), content_max=pol.hazard.description_max,
                  problems_hint=i18n.tp(locale, "checks.record.problems_hint", n=pol.checks.problems_max),
                  problems_max=pol.checks.problems_max * (PROBLEM_MAX + 1))


def form_failed(locale: str) -> Mrkdwn:
    return i18n.t(locale, "checks.record.form_failed")


def problem_lines(text: str) -> list[str]:
    return [line.strip(" \t-•·*") for line in text.splitlines() if line.strip(" \t-•·*")]


def record(ctx, task_value: object, user_id: str, values: dict, locale: str) -> Recorded:
    """The form submitted: the check done with its content and problems, or a clear error and nothing stored."""
    org = ctx.org
    now = ctx.clock.now()
    task_id = parse_row_id(task_value)
    content = clean_text(values.get(CONTENT_BLOCK))
    lines = problem_lines(clean_text(values.get(PROBLEMS_BLOCK)))
    if not content:
        return Recorded(False, {CONTENT_BLOCK: i18n.tp(locale, "checks.record.content_empty")})
    if len(content) > org.policy.hazard.description_max:
        return Recorded(False, {CONTENT_BLOCK: i18n.tp(locale, "errors.too_long", max=org.policy.hazard.description_max)})
    if len(lines) > org.policy.checks.problems_max:
        return Recorded(False, {PROBLEMS_BLOCK: i18n.tp(locale, "checks.record.too_many", n=org.policy.checks.problems_max)})
    if any(len(line) > PROBLEM_MAX for line in lines):
        return Recorded(False, {PROBLEMS_BLOCK: i18n.tp(locale, "checks.record.line_too_long", max=PROBLEM_MAX)})
    with session_scope(ctx.engine) as s:
        task = s.execute(select(CheckTask).where(CheckTask.id == task_id).with_for_update()
                         .execution_options(populate_existing=True)).scalar_one_or_none() if task_id else None
        if task is None or content_of(org, task) is None:
            return Recorded(False, {CONTENT_BLOCK: i18n.tp(locale, "checks.not_found")})
        if not may_complete(ctx, task, user_id):
            s.add(AuditEvent(at=now, actor=user_id, action="refused_complete_check", note=task.key[:200]))
            return Recorded(False, {CONTENT_BLOCK: i18n.tp(locale, "checks.refused", title=title(org, task, locale),
                                                           roles=_owners_words(ctx, task, locale))})
        if task.status != "pending":
            return Recorded(False, {CONTENT_BLOCK: i18n.tp(locale, "checks.already", title=title(org, task, locale),
                                                           who=mention(task.done_by),
                                                           at=i18n.fmt_time(task.done_at, org.tz))})
        task.status, task.done_at, task.done_by = ("problem" if lines else "done"), now, user_id
        task.note = content
        task.version += 1
        for n, line in enumerate(lines, start=1):
            s.add(CheckFinding(task_id=task.id, n=n, text=line))
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="check_problem" if lines else "check_done", subject_type=SUBJECT,
            subject_id=task.id, before=None, note=task.key[:200],
            after={"task": task.id, "kind": task.kind, "name": task.name, "team": task.team, "problems": lines,
                   "content": True, "late": now > task.due_at}))
        deadlines.stop(s, task.id, now)
        s.flush()
        update_messages(ctx, s, task, now)
        tell_kinds_done(ctx, s, task, user_id, now)
    ctx.wake()
    return Recorded(True)


def tell_kinds_done(ctx, s, task: CheckTask, user_id: str, now: dt.datetime) -> None:
    """A check was done (by its buttons or with its content): the kinds that care (`Kind.extra["check_done"]`:
    training's team study opens its roster), in the same transaction."""
    for kind in registry.current().kinds:
        if (hook := kind.extra.get("check_done")) is not None:
            hook(ctx, s, task, user_id, now)


def file_hazard(ctx, value: object, user_id: str, locale: str) -> Mrkdwn:
    """**File as hazard** on a recorded problem: the hazard, linked to the finding and the check, in one click."""
    org = ctx.org
    finding_id = parse_row_id(value)
    with session_scope(ctx.engine) as s:
        finding = s.get(CheckFinding, finding_id) if finding_id else None
        task = s.get(CheckTask, finding.task_id) if finding else None
        if task is None:
            return i18n.t(locale, "checks.record.finding_not_found")
        if not may_complete(ctx, task, user_id):
            s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="refused_file_check_finding",
                             note=f"{task.key}:{finding.n}"[:200]))
            return i18n.Refusal(i18n.t(locale, "checks.record.refused", title=title(org, task, locale)))
        if finding.report_id is not None:
            number = s.get(Report, finding.report_id).number
            return i18n.t(locale, "checks.record.already", number=number)
        where = occasion(org, task, org.locale)
        description = i18n.tp(org.locale, "checks.record.hazard_description", title=title(org, task, org.locale),
                              where=where, text=finding.text)
        finding_id, task_id = finding.id, task.id
    data = create.ReportInput(category=org.policy.checks.finding_category, level=org.policy.checks.finding_level,
                              location=where[:org.policy.hazard.location_max], description=description[
                                  :org.policy.hazard.description_max], suggestion="")

    def link(s, report, now: dt.datetime) -> None:
        row = s.execute(select(CheckFinding).where(CheckFinding.id == finding_id).with_for_update()
                        .execution_options(populate_existing=True)).scalar_one()
        if row.report_id is not None:
            return
        row.report_id, row.reported_by, row.reported_at = report.id, user_id, now
        task_ = s.execute(select(CheckTask).where(CheckTask.id == task_id).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one()
        task_.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="check_reported", **about(REPORT, report.id), before=None,
            note=task_.key[:200], after={"task": task_id, "finding": finding_id, "n": row.n, "kind": task_.kind,
                                         "name": task_.name, "team": task_.team}))
        s.flush()
        update_messages(ctx, s, task_, now)

    created = create.create_report(ctx, "hazard", source_key=f"check_finding:{finding_id}", reporter_id=user_id,
                                   data=data, locale=locale, also=link)
    if created.refused:
        return i18n.Refusal(Mrkdwn(created.refused))
    return i18n.t(locale, "checks.record.filed", number=created.report.number)

