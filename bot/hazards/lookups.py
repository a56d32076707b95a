"""Read-only answers about reports: status with timeline, a person's open reports.

These never take a write lock (`read_scope`).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot import i18n
from bot.hazards.kinds import REPORT, kind, what_key
from bot.hazards.present import category_name, level_name, member_line, mentions, status_label
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time, mention
from bot.limits import SECTION_TEXT, TEXT_ECHOED
from bot.masking import mask
from bot.render import render
from bot.text import clean_text, parse_number
from storage.db import read_scope
from storage.models import AuditEvent, Report
from storage.queries import group_reports

TIMELINE_LINES = 25  # newest entries shown by /hazard status (Slack's 3,000-character section holds ~25)
MEMBER_LINES = 20  # joined reports listed on a lead's status
MINE_LINES = 20
INCIDENT_STEPS = ("on_site", "level_changed", "special_report_submitted", "investigation_submitted",
                  "postmortem_submitted")
TEXT_IN_LINE = 300  # user text repeated in one timeline line
WHAT_IN_LIST = 80  # description shown in a list line


def find_report(s, number_or_id: str | int) -> Report | None:
    if isinstance(number_or_id, int):
        return s.get(Report, number_or_id)
    return s.execute(select(Report).where(Report.number == str(number_or_id).strip().upper()[:32])
                     ).scalar_one_or_none()


def example_number(ctx, kind_name: str = "hazard") -> str:
    return kind(ctx.org, kind_name).number(ctx.org.local(ctx.clock.now()).year, 42)


def status_message(ctx, text: str, asker: str, locale: str, kind_name: str = "hazard") -> tuple[str, list[dict] | None]:
    """(text, blocks) for `/hazard status NUMBER` and `/incident status NUMBER` (#21: each in its kind's words;
    `/hazard status` of an incident's number answers as the incident it is)."""
    words = kind(ctx.org, kind_name).words
    number = parse_number(text)
    if not clean_text(text):
        return i18n.t(locale, words("commands.status_usage")), None
    if number is None:
        return i18n.t(locale, "errors.bad_number", text=clean_text(text)[:TEXT_ECHOED],
                      example=example_number(ctx, kind_name)), None
    with read_scope(ctx.engine) as s:
        report = find_report(s, number)
        if report is None or (kind_name != "hazard" and report.kind != kind_name):
            return i18n.t(locale, words("errors.not_found") if kind_name != "hazard" else "errors.not_found_number",
                          number=number), None
        words = kind(ctx.org, report.kind or "hazard").words
        if report.reporter_id != asker and not ctx.directory.is_known(asker):
            return i18n.t(locale, words("commands.status_forbidden")), None
        total = s.execute(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.subject_type == REPORT, AuditEvent.subject_id == report.id)).scalar_one()
        events = s.execute(select(AuditEvent).where(AuditEvent.subject_type == REPORT, AuditEvent.subject_id == report.id)
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(TIMELINE_LINES)).scalars().all()
        lead = s.get(Report, report.group_id) if report.group_id else None
        n_members, members = group_reports(s, report.id, MEMBER_LINES) if lead is None else (0, [])
    lines = [timeline_line(ctx, locale, e) for e in reversed(events)]
    if total > len(events):
        lines.insert(0, i18n.t(locale, "timeline.more", n=total - len(events)))
    title = i18n.t(locale, "commands.status_title", number=report.number, level=level_name(ctx.org, report, locale),
                   category=category_name(ctx.org, report, locale), status=status_label(report, locale))
    due = i18n.t(locale, "commands.status_due", respond=fmt_time(report.respond_due_at, ctx.org.tz),
                 resolve=fmt_time(report.resolve_due_at, ctx.org.tz))
    member_text = None
    if members:
        member_text = Mrkdwn("\n".join([i18n.t(locale, "thread.grouped", n=n_members, lead=report.number)]
                                       + [member_line(ctx.org, locale, m) for m in members]))
    blocks = render("status", locale, title=title, due=due, description=mask(report.description),
                    location=mask(report.location), reporter=mention(report.reporter_id),
                    joined=i18n.t(locale, "commands.status_joined", lead=lead.number) if lead else None,
                    separate=report.number if lead and report.status != "resolved" else None,
                    members=member_text, timeline=Mrkdwn("\n".join(lines)))
    return title, blocks


# A person or channel named in a reply (`<@U0IT>`, `<#C0SAFETY|safety>`): shown as a mention, not as its raw id.
_SLACK_TOKEN = re.compile(r"&lt;([@#][UWCG][A-Z0-9]{2,40})(?:\|[^&<>]{0,80})?&gt;")


def reply_text(note: str | None) -> Mrkdwn:
    """A thread reply on the timeline: escaped like any typed text, except its user and channel mentions."""
    safe = i18n.escape_mrkdwn(mask(note or "")[:TEXT_IN_LINE])
    return Mrkdwn(_SLACK_TOKEN.sub(lambda m: f"<{m.group(1)}>", safe))


def timeline_line(ctx, locale: str, e: AuditEvent) -> Mrkdwn:
    when = fmt_time(e.at, ctx.org.tz)
    who = mention(e.actor) if e.actor != "system" else "SafeShift"
    after = e.after or {}
    group = after.get("via_group")
    if e.action == "reported":
        if after.get("grouped_with"):
            return Mrkdwn(i18n.t(locale, "timeline.reported", when=when, who=who) + "\n"
                          + i18n.t(locale, "timeline.grouped", when=when, lead=after["grouped_with"]))
        return i18n.t(locale, "timeline.reported", when=when, who=who)
    if e.action == "acknowledged":
        if group:
            return i18n.t(locale, "timeline.acknowledged_with_group", when=when, who=who, lead=group)
        return i18n.t(locale, "timeline.acknowledged", when=when, who=who, took=fmt_minutes(locale, after.get("seconds", 0)))
    if e.action == "comment":
        return i18n.t(locale, "timeline.comment", when=when, who=who, text=reply_text(e.note))
    if e.action == "resolved":
        if group:
            return i18n.t(locale, "timeline.resolved_with_group", when=when, who=who, lead=group,
                          text=mask(e.note)[:TEXT_IN_LINE])
        return i18n.t(locale, "timeline.resolved", when=when, who=who, text=mask(e.note)[:TEXT_IN_LINE])
    if e.action == "assigned":
        return i18n.t(locale, "thread_work.timeline_assigned", when=when, who=who,
                      mentions=mention(after.get("assigned_to")))
    if e.action == "separated":
        return i18n.t(locale, "timeline.separated", when=when, who=who, lead=after.get("lead", "—"))
    if e.action == "escalated":
        return i18n.t(locale, "timeline.escalated", when=when, step=after.get("step", 0) + 1,
                      who=mentions(after.get("people", [])) if after.get("people") else
                      Mrkdwn(" ".join(f"<#{c}>" for c in after.get("channels", [])) or "—"))
    if e.action == "overdue":
        return i18n.t(locale, "timeline.overdue", when=when,
                      what=i18n.tp(locale, what_key(after.get("purpose", "acknowledge"))))
    if e.action in INCIDENT_STEPS:  # an incident's own steps (bot/incidents/create.py, followups.py)
        levels = [level_name(ctx.org, n, locale, "incident") if isinstance(n, int) else "—"
                  for n in ((e.before or {}).get("level"), after.get("level"))]
        old, new = (e.before or {}).get("level"), after.get("level")
        raised = isinstance(old, int) and isinstance(new, int) and new < old  # level 1 is the highest
        return i18n.t(locale, f"incident.timeline.{e.action}", when=when, who=who, old=levels[0], new=levels[1],
                      raised=raised, text=mask(e.note)[:TEXT_IN_LINE])
    action = e.action if e.action != "rect_verified" else f"rect_verified_{'pass' if after.get('passed') else 'fail'}"
    if f"rect_timeline.{action}" in i18n.catalog(i18n.normalise_locale(locale)):  # rectification steps (#11)
        return i18n.t(locale, f"rect_timeline.{action}", when=when, who=who, text=mask(e.note)[:TEXT_IN_LINE] or "—",
                      n=after.get("in_a_row", 2))
    if e.action == "check_reported":  # a hazard filed from a check (bot/checks/tasks.py): the check's name, not the id
        return i18n.t(locale, "timeline.check_reported", when=when, who=who, title=_check_title(ctx.org, after, locale))
    if e.action in WORDED:  # IT's answer (#21 §3.1.3), a corrective action's item (#21 §5.2.3)
        return i18n.t(locale, f"timeline.{e.action}", when=when, who=who, item=after.get("item") or "—",
                      took=fmt_minutes(locale, after.get("seconds", 0)), text=mask(e.note)[:TEXT_IN_LINE] or "—")
    return i18n.t(locale, "timeline.other", when=when, who=who, text=e.action)


WORDED = ("answered", "corrective_action_done", "corrective_action_carried_over")


def _check_title(org, after: dict, locale: str) -> str:
    """The name of the check a hazard was filed from (the audit row's `kind` and `name`), in the reader's words."""
    key = f"checks.title.{after.get('kind')}"
    if key in i18n.catalog(i18n.normalise_locale(locale)):
        return i18n.tp(locale, key)
    check = org.policy.checks.every.get(after.get("name") or "")
    return check.name.get(locale) if check else (after.get("name") or "—")


def mine_message(ctx, asker: str, locale: str, limit: int = MINE_LINES,
                 kind_name: str = "hazard") -> tuple[str, list[dict]]:
    """`/hazard mine`, `/incident mine` (#21): the asker's open reports of that kind."""
    words = kind(ctx.org, kind_name).words
    with read_scope(ctx.engine) as s:
        q = select(Report).where(Report.reporter_id == asker, Report.status != "resolved",
                                 (Report.kind == kind_name) | (Report.kind.is_(None)) if kind_name == "hazard"
                                 else Report.kind == kind_name)
        total = s.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        reports = s.execute(q.order_by(Report.reported_at.desc()).limit(limit)).scalars().all()
    if not reports:
        text = i18n.t(locale, words("commands.mine_empty"))
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    title = i18n.t(locale, words("commands.mine_title"), n=total)
    lines = [i18n.t(locale, "commands.mine_line", number=r.number, level=level_name(ctx.org, r, locale),
                    status=status_label(r, locale), when=fmt_time(r.reported_at, ctx.org.tz),
                    what=mask(r.description)[:WHAT_IN_LIST]) for r in reports]
    if total > len(reports):
        lines.append(i18n.t(locale, "commands.mine_more", n=total - len(reports)))
    body = "\n".join(lines)
    return title, [{"type": "section", "text": {"type": "mrkdwn", "text": title}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": body[:SECTION_TEXT]}}]
