"""Recording a violation and reading the ledger. Every path checks `permissions.violations` first (the department
head, the deputy, the safety officer): nobody else can record, list, see or search it, and a refusal says nothing
about what the ledger holds.

The graded response (§3.6.2) is read from the person's entries within `violations.window_days` (entries whose
appeal was overturned do not count): the n-th takes `steps[n-1]` (the last step repeats); an accident caused by
negligence takes the accountability procedure (追责, §5.2.3, §6.1.3). The `suspend_after`-th in a row (§3.2.3)
records a required action, suspending call answering, with an owner and a date, and tells the owner.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import i18n, ids
from bot.directory import Directory
from bot.outbox import ROUTINE, enqueue
from bot.subjects import about
from bot.text import clean_text
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, Violation

MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$")
LINKED_RE = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{1,6}$")
WHAT_MAX = 2000
LIST_MAX = 30


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    view: dict | None = None
    errors: dict = field(default_factory=dict)


def allowed(ctx, user: str) -> bool:
    return Directory(ctx.org).allowed(user, "violations", None)


def refusal(locale: str) -> Outcome:
    return Outcome(False, i18n.Refusal(i18n.t(locale, "violations.not_allowed")))


def step_name(locale: str, step: str) -> str:
    return i18n.tp(locale, f"violations.step_{step}")


def today(ctx) -> dt.date:
    return ctx.clock.now().astimezone(ctx.org.tz).date()


def counted(s, ctx, person: str, day: dt.date) -> int:
    """The person's entries that count within the window ending on `day` (overturned ones do not)."""
    since = day - dt.timedelta(days=ctx.org.policy.violations.window_days)
    return s.execute(select(func.count()).select_from(Violation).where(
        Violation.person_id == person, Violation.occurred_on > since, Violation.occurred_on <= day,
        Violation.appeal_status != "overturned")).scalar()


def step_for(ctx, n: int, accident: bool) -> str:
    steps = ctx.org.policy.violations.steps
    return "accountability" if accident else steps[min(n, len(steps)) - 1]


def command(ctx, user: str, text: str | None, locale: str) -> Outcome:
    if not allowed(ctx, user):
        return refusal(locale)
    words = (text or "").strip()
    if words.lower() in ("", "help", "帮助"):
        return Outcome(True, i18n.t(locale, "violations.help"))
    if words.lower() in ("list", "列表"):
        return Outcome(True, listing(ctx, locale))
    m = MENTION_RE.match(words.split()[0])
    if not m:
        return Outcome(True, i18n.t(locale, "violations.usage"))
    return Outcome(True, view=form(ctx, m.group(1), locale))


def form(ctx, person: str, locale: str) -> dict:
    with read_scope(ctx.engine) as s:
        before = counted(s, ctx, person, today(ctx))
    intro = i18n.t(locale, "violations.form_person", person=i18n.mention(person), count=before,
                   within=ctx.org.policy.violations.window_days, step_name=step_name(locale, step_for(ctx, before + 1, False)))
    lab = lambda k: {"type": "plain_text", "text": i18n.tp(locale, f"violations.label_{k}")}  # noqa: E731
    what, when, evidence, linked, accident = ids.VIOLATION_FORM_BLOCKS
    return {
        "type": "modal", "callback_id": ids.VIOLATION_VIEW, "private_metadata": json.dumps({"person": person}),
        "title": {"type": "plain_text", "text": i18n.tp(locale, "violations.form_title")},
        "submit": {"type": "plain_text", "text": i18n.tp(locale, "violations.form_submit")},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
            {"type": "input", "block_id": what, "label": lab("what"),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": WHAT_MAX}},
            {"type": "input", "block_id": when, "label": lab("occurred_on"),
             "element": {"type": "datepicker", "action_id": "value", "initial_date": today(ctx).isoformat()}},
            {"type": "input", "block_id": evidence, "optional": True, "label": lab("evidence"),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": WHAT_MAX}},
            {"type": "input", "block_id": linked, "optional": True, "label": lab("linked"),
             "element": {"type": "plain_text_input", "action_id": "value", "max_length": 32}},
            {"type": "input", "block_id": accident, "optional": True, "label": lab("accident"),
             "element": {"type": "radio_buttons", "action_id": "value", "options": [
                 {"text": {"type": "plain_text", "text": i18n.tp(locale, "violations.accident_yes")}, "value": "yes"}]}},
        ],
    }


def record(ctx, user: str, view_id: str, meta: dict, values: dict, locale: str) -> Outcome:
    """One entry, its audit row, the person's DM (with the Appeal button) and, on the n-th in a row, the required
    action's DM to its owner: one transaction. The form's view id makes a second submission record nothing."""
    if not allowed(ctx, user):
        return refusal(locale)
    what_b, when_b, evidence_b, linked_b, accident_b = ids.VIOLATION_FORM_BLOCKS
    person = meta.get("person") if isinstance(meta.get("person"), str) else ""
    if not re.fullmatch(r"[UW][A-Z0-9]{2,31}", person or ""):
        return Outcome(False, errors={what_b: i18n.tp(locale, "violations.usage")})
    errors = {}
    what = clean_text(values.get(what_b))[:WHAT_MAX]
    if not what:
        errors[what_b] = i18n.tp(locale, "violations.what_empty")
    try:
        day = dt.date.fromisoformat(str(values.get(when_b) or ""))
        if day > today(ctx):
            raise ValueError
    except ValueError:
        errors[when_b] = i18n.tp(locale, "violations.date_bad")
    linked = clean_text(values.get(linked_b)).upper()
    if linked and not LINKED_RE.match(linked):
        errors[linked_b] = i18n.tp(locale, "violations.linked_bad")
    if errors:
        return Outcome(False, errors=errors)
    accident = values.get(accident_b) == "yes"
    policy, now = ctx.org.policy.violations, ctx.clock.now()
    directory = Directory(ctx.org)
    try:
        with session_scope(ctx.engine) as s:
            n = counted(s, ctx, person, day) + 1
            row = Violation(source_key=str(view_id)[:128], person_id=person, what=what, occurred_on=day,
                            evidence=clean_text(values.get(evidence_b))[:WHAT_MAX], linked=linked,
                            caused_accident=accident, step=step_for(ctx, n, accident), count=n, recorded_by=user,
                            recorded_at=now)
            if n >= policy.suspend_after:
                team = directory.team_of(person)
                owners = directory.resolve_people(list(policy.suspend_owner), team.name if team else None, None)
                row.action, row.action_owner = "suspend_calls", (owners[0] if owners else user)
                row.action_due = today(ctx) + dt.timedelta(days=policy.suspend_within_days)
            s.add(row)
            s.flush()
            s.add(AuditEvent(at=now, actor=user, action="violation_recorded", **about("violation", row.id),
                             after={"step": row.step, "count": n, "person": person, "action": row.action}))
            _tell(ctx, s, row, now)
            message = _recorded(ctx, row, locale)
    except IntegrityError:  # the same form sent twice: the first stands
        return Outcome(True, i18n.t(locale, "violations.gone"))
    ctx.wake()
    return Outcome(True, message)


def _recorded(ctx, row: Violation, locale: str) -> str:
    text = i18n.t(locale, "violations.recorded", id=row.id, person=i18n.mention(row.person_id), count=row.count,
                  within=ctx.org.policy.violations.window_days, step_name=step_name(locale, row.step))
    if row.action:
        text += "\n" + i18n.t(locale, "violations.recorded_action", count=row.count, owner=i18n.mention(row.action_owner),
                              due=row.action_due.isoformat(), action_name=i18n.tp(locale, "violations.suspend_calls"))
    return text


def _tell(ctx, s, row: Violation, now: dt.datetime) -> None:
    from bot.prefs import locales_of

    locales = locales_of(s, ctx.org, [row.person_id, row.action_owner])
    loc = locales[row.person_id]
    text = i18n.t(loc, "violations.dm", id=row.id, date=row.occurred_on.isoformat(), text=row.what,
                  step_name=step_name(loc, row.step), count=row.count, within=ctx.org.policy.violations.window_days,
                  appeal_days=ctx.org.policy.violations.appeal_within_days)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
              {"type": "actions", "block_id": ids.VIOLATION_ACTIONS_BLOCK, "elements": [
                  {"type": "button", "action_id": ids.VIOLATION_APPEAL_ACTION, "value": str(row.id),
                   "text": {"type": "plain_text", "text": i18n.tp(loc, "violations.button_appeal")}}]}]
    enqueue(s, now, "chat.postMessage", {"channel": row.person_id, "text": text, "blocks": blocks},
            ordering_key=f"violation:{row.id}", priority=ROUTINE)
    if row.action and row.action_owner:
        loc = locales.get(row.action_owner) or ctx.org.locale
        enqueue(s, now, "chat.postMessage", {"channel": row.action_owner, "text": i18n.t(
            loc, "violations.dm_action", person=i18n.mention(row.person_id), count=row.count, id=row.id,
            due=row.action_due.isoformat(), action_name=i18n.tp(loc, "violations.suspend_calls"))},
            ordering_key=f"violation:{row.id}", priority=ROUTINE)


def listing(ctx, locale: str) -> str:
    within = ctx.org.policy.violations.window_days
    since = today(ctx) - dt.timedelta(days=within)
    with read_scope(ctx.engine) as s:
        entries = list(s.execute(select(Violation).where(Violation.occurred_on > since)
                                 .order_by(Violation.occurred_on.desc(), Violation.id.desc()).limit(LIST_MAX)).scalars())
    if not entries:
        return i18n.t(locale, "violations.list_empty")
    lines = [i18n.t(locale, "violations.list_title", within=within)]
    for v in entries:
        line = i18n.t(locale, "violations.list_line", id=v.id, date=v.occurred_on.isoformat(),
                      person=i18n.mention(v.person_id), step_name=step_name(locale, v.step), text=v.what[:80])
        if v.appeal_status:
            line += i18n.t(locale, "violations.list_appeal", decision=_decision(locale, v.appeal_status))
        lines.append(line)
    return "\n".join(lines)


def _decision(locale: str, status: str) -> str:
    return i18n.tp(locale, f"violations.appeal_{status}")
