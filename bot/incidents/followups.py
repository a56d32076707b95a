"""After the event (#9): special report (§3.2.2, within 24 h), investigation (§5.2.2, within 48 h, led by the
safety officer; its corrective actions become tracked items, §5.2.3), post-mortem (复盘, §5.3.1).

Which incidents get which task is policy (`incident.special_report.levels`, `.investigation.levels`,
`.postmortem_levels`). A task's due moment is a column of the report and its ladder is timer rows
(`escalation.start_ladder(…, "special_report" | "investigation", …)`; `kinds.deadline` says which column).
Each submission is one transaction: record, audit entry, outbox rows, ladder stopped.
"""

from __future__ import annotations

import datetime as dt

from bot import i18n, picked_dates, registry
from bot.hazards import escalation, notices
from bot.hazards.kinds import REPORT, kind
from bot.hazards.lookups import find_report
from bot.hazards.present import level_name, mentions, who_may
from bot.hazards.transitions import Outcome, lock_report
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.incidents import actions as corrective
from bot.incidents.facts import CORRECTIVE_ROWS, corrective_actions, on_site_within, pending  # noqa: F401 - used here and by callers
from bot.masking import mask
from bot.outbox import URGENT
from bot.prefs import locales_of, user_locale
from bot.text import clean_text
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, CorrectiveAction, Report

KIND = "incident"
TASKS = ("special_report", "investigation", "postmortem")
_PERMISSION = {"special_report": "special_report", "investigation": "investigate", "postmortem": "postmortem"}
INVESTIGATION_FIELDS = ("course", "cause", "responsibility")
TEXT_IN_POST = 2800  # a posted report or summary (Slack's section limit is 3,000)


def _policy(ctx):
    return kind(ctx.org, KIND).section


def start_follow_ups(ctx, s, report: Report, now: dt.datetime) -> None:
    """Set the tasks the report's level calls for and not set yet: due moments, ladders, the owners told."""
    pol = _policy(ctx)
    langs_needed = []
    for task in ("special_report", "investigation"):
        rule = getattr(pol, task)
        due_col = f"{task}_due_at"
        if report.level not in rule.levels or getattr(report, due_col) is not None:
            continue
        setattr(report, due_col, rule.due_within.add_to(now, ctx.org.tz, ctx.org.workdays))
        s.flush()
        escalation.start_ladder(ctx, s, report, task, now)
        owners = ctx.directory.resolve_people(list(rule.owner), report.team, report.reporter_id)
        langs_needed.append((task, owners))
    for task, owners in langs_needed:
        langs = locales_of(s, ctx.org, owners)
        for user in owners:
            notices.direct(ctx, s, report, now, user, i18n.t(
                langs[user], f"incident.task.{task}_due", number=report.number, level=level_name(ctx.org, report,
                                                                                               langs[user]),
                due=fmt_time(getattr(report, f"{task}_due_at"), ctx.org.tz), link=notices.link(langs[user], ctx)))


def start_partner_clock(ctx, s, report: Report, now: dt.datetime) -> None:
    """#21 §2.3.2: a kind whose partners are due on site (security for a customer conflict) starts that clock; the
    first of them to press On site stops it (`create.on_site`), else the `on_site` ladder climbs."""
    within = on_site_within(ctx, report)
    if within is None or report.partner_due_at is not None:
        return
    report.partner_due_at = within.add_to(now, ctx.org.tz, ctx.org.workdays)
    s.flush()
    escalation.start_ladder(ctx, s, report, "on_site", now)


def can_do(ctx, number: str, user_id: str, task: str, locale: str | None = None) -> Outcome:
    """May `user_id` do `task` on incident `number` now? A refusal goes to the operation log."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        report = find_report(s, number)
        if report is None or report.kind != KIND or task not in TASKS:
            return Outcome(False, i18n.t(locale, "incident.errors.not_found", number=number))
        action = _PERMISSION[task]
        if not ctx.directory.allowed(user_id, action, report.team):
            s.add(AuditEvent(at=now, actor=user_id, action=f"refused_{action}", note=report.number))
            return Outcome(False, who_may(ctx, locale, action, "incident.task.refused", number=report.number,
                                          what=i18n.tp(locale, f"incident.task.{task}_title")), report)
        if task not in pending(ctx, report):
            return Outcome(False, i18n.t(locale, "incident.task.not_pending", number=report.number,
                                         what=i18n.tp(locale, f"incident.task.{task}_title")), report)
        return Outcome(True, None, report)


def submit(ctx, number: str, user_id: str, task: str, values: dict, locale: str | None = None
           ) -> tuple[Outcome, dict[str, str]]:
    """Store a special report, an investigation (with its corrective actions) or a post-mortem summary.
    Returns (outcome, {block_id: error}) — errors for the form, if any."""
    check = can_do(ctx, number, user_id, task, locale)
    if not check.ok:
        return check, {}
    org = ctx.org
    pol = _policy(ctx)
    now = ctx.clock.now()
    locale = locale or org.locale
    limit = pol.suggestion_max
    texts = {key: clean_text(values.get(key)) for key in ("text",) + INVESTIGATION_FIELDS}
    required = INVESTIGATION_FIELDS if task == "investigation" else ("text",)
    errors = {key: i18n.tp(locale, "incident.task.empty") for key in required if not texts[key]}
    errors.update({key: i18n.tp(locale, "errors.too_long", max=limit) for key in required if len(texts[key]) > limit})
    actions, action_errors = _corrective_actions(ctx, values, locale, now) if task == "investigation" else ([], {})
    errors.update(action_errors)
    if errors:
        return Outcome(False, None, check.report), errors
    with session_scope(ctx.engine) as s:
        report = lock_report(s, check.report.id)
        if task not in pending(ctx, report):  # submitted by someone else a moment ago
            return Outcome(False, i18n.t(locale, "incident.task.not_pending", number=report.number,
                                         what=i18n.tp(locale, f"incident.task.{task}_title")), report), {}
        if task == "investigation":
            report.investigation = {k: texts[k] for k in INVESTIGATION_FIELDS}
        else:
            setattr(report, task, texts["text"])
        setattr(report, f"{task}_at", now)
        setattr(report, f"{task}_by", user_id)
        report.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action=f"{task}_submitted", subject_type=REPORT, subject_id=report.id, before=None,
            after={"corrective_actions": len(actions)} if task == "investigation" else {}, note=texts["text"][:4000]))
        if task != "postmortem":
            escalation.stop_ladder(s, report.id, task, now)
        else:  # the kinds that care (`Kind.extra["postmortem_submitted"]`: training's topic for the next lecture)
            for kind in registry.current().kinds:
                if (hook := kind.extra.get("postmortem_submitted")) is not None:
                    hook(ctx, s, report, user_id, now)
        items = []
        for description, owner, due in actions:  # #21 §5.2.3: each a rectification item of its own
            action = CorrectiveAction(report_id=report.id, description=description, owner=owner, due_at=due,
                                      status="open", created_at=now, created_by=user_id)
            s.add(action)
            s.flush()
            items.append(corrective.to_item(ctx, s, report, action, now).number)
        _tell(ctx, s, report, task, user_id, texts, [(*a, n) for a, n in zip(actions, items)], now)
        notices.update_card(ctx, s, report, now)
    ctx.wake()
    return Outcome(True, None, report), {}


def _corrective_actions(ctx, values: dict, locale: str, now: dt.datetime):
    """(description, owner, due) of each filled corrective-action row; a row with a description needs an owner."""
    pol = _policy(ctx)
    out, errors = [], {}
    for n in range(1, CORRECTIVE_ROWS + 1):
        text = clean_text(values.get(f"action_{n}"))
        owner = values.get(f"owner_{n}")
        day = values.get(f"due_{n}")
        if not text:
            continue
        if len(text) > pol.suggestion_max:
            errors[f"action_{n}"] = i18n.tp(locale, "errors.too_long", max=pol.suggestion_max)
        if not isinstance(owner, str) or not owner:
            errors[f"owner_{n}"] = i18n.tp(locale, "incident.task.owner_needed")
            continue
        if not ctx.directory.is_known(owner):  # a person of the organisation file: never C0…, <!channel>, USLACKBOT
            errors[f"owner_{n}"] = i18n.tp(locale, "incident.task.owner_unknown")
            continue
        due = pol.corrective_action_within.add_to(now, ctx.org.tz, ctx.org.workdays)
        if isinstance(day, str) and day:
            try:  # the end of that day in the organisation's zone
                local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(23, 59), tzinfo=ctx.org.tz)
            except ValueError:
                local = None
            if local is None or local < now:
                errors[f"due_{n}"] = i18n.tp(locale, "incident.task.due_past")
                continue
            if not picked_dates.in_window(ctx, local.date()):
                errors[f"due_{n}"] = i18n.tp(locale, "incident.task.due_window", **picked_dates.window_words(ctx))
                continue
            due = local.astimezone(dt.timezone.utc)
        out.append((text, owner[:32], due))
    return out, errors


def _tell(ctx, s, report: Report, task: str, user_id: str, texts: dict, actions, now: dt.datetime) -> None:
    """The thread line; the leadership channel gets the special report, the investigation and the post-mortem
    summary; an investigation of a post-mortem level reminds the leadership group to hold it; each corrective
    action's owner hears of it."""
    org = ctx.org
    loc = org.locale
    lines = [i18n.t(loc, "incident.task.action_line", what=mask(d)[:300], who=mention(o), due=fmt_time(due, org.tz),
                    item=item) for d, o, due, item in actions]
    body = (i18n.t(loc, "incident.task.investigation_body", course=mask(texts["course"])[:900],
                   cause=mask(texts["cause"])[:900], responsibility=mask(texts["responsibility"])[:600],
                   actions=Mrkdwn("\n".join(lines)) if lines else i18n.t(loc, "incident.task.no_actions"))
            if task == "investigation" else Mrkdwn(i18n.escape_mrkdwn(mask(texts["text"])[:TEXT_IN_POST])))
    head = i18n.t(loc, f"incident.task.{task}_posted", number=report.number, who=mention(user_id),
                  level=level_name(org, report, loc))
    post = Mrkdwn(f"{head}\n{body}")[:3900]
    notices.thread_line(ctx, s, report, now, Mrkdwn(post))
    leaders = org.channels.leadership
    if leaders:
        notices.direct(ctx, s, report, now, leaders, Mrkdwn(post))
    if task == "investigation" and report.level in _policy(ctx).postmortem_levels:
        group = ctx.directory.people("leadership")
        text = i18n.t(loc, "incident.task.postmortem_due", number=report.number, people=mentions(group),
                      link=notices.link(loc, ctx))
        if leaders:
            notices.direct(ctx, s, report, now, leaders, text, priority=URGENT)
        langs = locales_of(s, org, group)
        for user in group:
            notices.direct(ctx, s, report, now, user, i18n.t(langs[user], "incident.task.postmortem_due",
                                                              number=report.number, people=mentions(group),
                                                              link=notices.link(langs[user], ctx)))
    owners = [o for _, o, _, _ in actions]
    langs = locales_of(s, org, owners)
    for d, owner, due, item in actions:
        notices.direct(ctx, s, report, now, owner, i18n.t(
            langs[owner], "incident.task.action_dm", number=report.number, what=mask(d)[:500],
            due=fmt_time(due, org.tz), who=mention(user_id), item=item))


