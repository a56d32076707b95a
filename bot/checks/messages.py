"""A check task's messages: the DM to each owner, its title and occasion, and their keys in the outbox (#18: below
both the task's use cases and its deadlines, which both update the messages)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from bot import i18n
from bot.hazards.present import roles_text
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.masking import mask
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.render import render
from storage.models import CheckFinding, CheckTask, Report

USER_RE = re.compile(r"^[UW][A-Z0-9]{2,31}$")
CHECKLISTS = ("pre_shift", "briefing", "end_of_day", "patrol")  # kinds with the policy's items; else "check"


def ordering_key(task_id: int) -> str:
    return f"task:{task_id}"


def message_key(task_id: int, owner: str) -> str:
    return f"task:{task_id}:{owner}"


def items_of(org, task: CheckTask) -> dict:
    """{item key: Localized} the task lists: a checklist's items; a recurring check has none."""
    if task.kind in CHECKLISTS:
        return dict(getattr(org.policy.checklists, task.kind).items)
    return {}


def title(org, task: CheckTask, locale: str) -> str:
    if task.kind in CHECKLISTS:
        return i18n.tp(locale, f"checks.title.{task.kind}")
    check = org.policy.checks.every.get(task.name)
    return check.name.get(locale) if check else task.name


def occasion(org, task: CheckTask, locale: str) -> str:
    """Which shift, team or day the task belongs to, in words."""
    parts = [task.team, task.shift]
    day = task.day.isoformat() if task.day else ""
    return " · ".join([p for p in parts if p] + [day])


def content_of(org, task: CheckTask) -> str | None:
    """What the check takes (`minutes`, `summary`, `findings`), or None: a plain Done (policy `checks.every.<k>.content`,
    #21)."""
    if task.kind != "check":
        return None
    check = org.policy.checks.every.get(task.name)
    return check.content if check else None


def findings_of(s, task_id: int) -> list[dict]:
    """A recorded check's problems, in order, each with the number of the hazard it became (#21)."""
    rows = s.execute(select(CheckFinding, Report.number).outerjoin(Report, Report.id == CheckFinding.report_id)
                     .where(CheckFinding.task_id == task_id).order_by(CheckFinding.n)).all()
    return [{"id": str(f.id), "n": f.n, "text": mask(f.text), "number": number} for f, number in rows]


def message(ctx, task: CheckTask, locale: str, number: str | None = None, findings: list[dict] | None = None,
            task_id: str | None = None) -> dict:
    """The task's message (a DM to an owner), as it stands: open with its buttons, or done (`number`: the hazard
    report its problem led to; `findings`: the problems a check with content recorded, #21). `task_id`: what the
    buttons carry instead of the task's id (`with_task_id`)."""
    org = ctx.org
    items = [{"value": key, "text": label.get(locale)} for key, label in items_of(org, task).items()]
    done = None
    if task.status != "pending":
        wrong = [items_of(org, task)[k].get(locale) for k in task.problems if k in items_of(org, task)]
        key = "checks.done_line" if task.status == "done" else "checks.problem_line"
        if content_of(org, task):
            key = "checks.record.done_line" if task.status == "done" else "checks.record.problem_line"
        done = i18n.t(locale, key, who=mention(task.done_by), at=fmt_time(task.done_at, org.tz),
                      items=i18n.tp(locale, "checks.points_sep").join(wrong) if wrong else "—", number=number)
    name = title(org, task, locale)
    picked = [mention(x) if USER_RE.match(str(x)) else i18n.escape_mrkdwn(x) for x in task.sample or []]
    head = i18n.t(locale, "checks.head", title=name, occasion=occasion(org, task, locale),
                  due=fmt_time(task.due_at, org.tz))
    blocks = render("check_task", locale, task_id=task_id or str(task.id), head=head, items=items,
                    sample=Mrkdwn(i18n.join_list(locale, picked, "and")) if picked else None,
                    done=done, overdue=bool(task.overdue and task.status == "pending"),
                    content=(Mrkdwn(i18n.escape_mrkdwn(mask(task.note))) if content_of(org, task) and task.note
                             and task.status != "pending" else None),
                    content_title=i18n.tp(locale, f"checks.record.{content_of(org, task)}") if content_of(org, task) else "",
                    findings=[dict(f, text=Mrkdwn(i18n.escape_mrkdwn(f["text"])),
                                   filed=i18n.t(locale, "checks.record.filed_line", number=f["number"])
                                   if f["number"] else None) for f in findings or []],
                    record=bool(content_of(org, task)))
    return {"text": i18n.tp(locale, "checks.fallback", title=name), "blocks": blocks}


def with_task_id(shape, placeholder: str, task_id: str):
    """A copy of a message rendered with `placeholder` for its task id (`message(..., task_id=placeholder)`), carrying
    `task_id`: the messages of many tasks that differ only by their id are rendered once (`tasks.issue_many`)."""
    if isinstance(shape, dict):
        return {k: with_task_id(v, placeholder, task_id) for k, v in shape.items()}
    if isinstance(shape, list):
        return [with_task_id(v, placeholder, task_id) for v in shape]
    return task_id if shape == placeholder else shape


def update_messages(ctx, s, task: CheckTask, now: dt.datetime, number: str | None = None) -> None:
    langs = locales_of(s, ctx.org, task.owners)
    findings = findings_of(s, task.id) if content_of(ctx.org, task) else None
    for owner in task.owners:
        payload = dict(message(ctx, task, langs[owner], number, findings), channel=owner)
        enqueue(s, now, "chat.update", payload, ordering_key=ordering_key(task.id),
                target_key=message_key(task.id, owner), priority=ROUTINE)


def may_complete(ctx, task: CheckTask, user_id: str) -> bool:
    roles = ctx.directory.roles_of(user_id, task.team)
    if user_id in (task.owners or []):
        roles.add("owner")
    return bool(set(ctx.org.policy.permissions.get("complete_check", [])) & roles)


def _owners_words(ctx, task: CheckTask, locale: str) -> Mrkdwn:
    names = [mention(u) for u in task.owners or []]
    roles = [r for r in ctx.org.policy.permissions.get("complete_check", []) if r != "owner"]
    if roles:
        names.append(roles_text(locale, roles))
    return Mrkdwn(i18n.join_list(locale, names))
