"""An incident's card in the safety channel: its kind, who is affected, what was already done, who went
on site, and the buttons Acknowledge, On site, Change level, Resolve (and the after-the-event ones)."""

from __future__ import annotations

import datetime as dt

from bot import i18n, ids
from bot.hazards.kinds import current_deadline, current_step, kind_of_report
from bot.hazards.present import mentions, status_label
from bot.i18n import fmt_minutes, fmt_time, mention
from bot.incidents.facts import action_progress, corrective_actions, paged_people, pending
from bot.masking import mask
from bot.render import render

TEXT_ON_CARD = 2800  # Slack's section limit is 3,000 characters


def incident_card(ctx, s, report, now: dt.datetime) -> dict:
    org = ctx.org
    locale = org.locale
    tz = org.tz
    k = kind_of_report(org, report)
    level = k.level_name(report.level, locale)
    people = mentions(paged_people(ctx, report))
    step = current_step(report)
    overdue_line = None
    if report.overdue and step:
        overdue_line = i18n.t(locale, "card.overdue_line", what=i18n.tp(locale, f"escalation.what_{step}"),
                              due=fmt_time(current_deadline(report), tz))
    values = dict(
        number=report.number, level=level, status=status_label(report, locale),
        kind=k.category_name(report.category, locale), location=mask(report.location) or "—",
        description=mask(report.description), affected=mask(report.affected or ""),
        actions_taken=mask(report.actions_taken or ""), reporter=mention(report.reporter_id),
        reported_at=fmt_time(report.reported_at, tz), respond_by=fmt_time(report.respond_due_at, tz),
        resolve_by=fmt_time(report.resolve_due_at, tz), people=people, zone=org.timezone,
        source_link=report.source_link or None, text_max=TEXT_ON_CARD,
        on_site_line=(i18n.t(locale, "incident.card.on_site_line", who=mention(report.on_site_by),
                             when=fmt_time(report.on_site_at, tz),
                             took=fmt_minutes(locale, (report.on_site_at - report.reported_at).total_seconds()))
                      if report.on_site_at else None),
        acked_line=(i18n.t(locale, "card.acked_line", who=mention(report.acknowledged_by),
                           when=fmt_time(report.acknowledged_at, tz),
                           took=fmt_minutes(locale, (report.acknowledged_at - report.reported_at).total_seconds()))
                    if report.acknowledged_at else None),
        resolved_line=(i18n.t(locale, "card.resolved_line", who=mention(report.resolved_by),
                              when=fmt_time(report.resolved_at, tz), note=mask(report.resolution_note)[:500])
                       if report.resolved_at else None),
        overdue_line=overdue_line,
        unknown_reporter=not report.reporter_known,
        show_ack=report.status == "open", show_open=report.status != "resolved",
        show_on_site=report.status != "resolved" and report.on_site_at is None,
        value=report.number,
    )
    values.update(_after_the_event(ctx, s, report, locale))
    blocks = render("incident_card", locale, **values)
    text = i18n.t(locale, "incident.card.fallback", number=report.number, level=level, kind=values["kind"],
                  location=values["location"][:200], status=values["status"], people=people)
    return {"channel": org.channels.safety, "text": text, "blocks": blocks, "unfurl_links": False,
            "unfurl_media": False}


def _after_the_event(ctx, s, report, locale: str) -> dict:
    """The card's after-the-event part: a line per task done or due, a button per task waiting."""
    tz = ctx.org.tz
    buttons = {"special_report": ids.INCIDENT_SPECIAL_ACTION, "investigation": ids.INCIDENT_INVESTIGATE_ACTION,
               "postmortem": ids.INCIDENT_POSTMORTEM_ACTION}
    waiting = pending(ctx, report)
    lines = []
    for task in ("special_report", "investigation", "postmortem"):
        done_at = getattr(report, f"{task}_at")
        due_at = getattr(report, f"{task}_due_at", None)
        if done_at is not None:
            n = len(corrective_actions(ctx, report.id, s)) if task == "investigation" else 0
            lines.append(i18n.t(locale, f"incident.task.{task}_done_line", who=mention(getattr(report, f"{task}_by")),
                                when=fmt_time(done_at, tz), n=n))
            if n:  # #21 §5.2.3: its corrective actions are rectification items; how far they are
                done, total, overdue = action_progress(s, report.id)
                lines.append(i18n.t(locale, "incident.task.actions_progress", closed=done, n=total, overdue=overdue))
        elif due_at is not None:
            lines.append(i18n.t(locale, "incident.task.due_line", what=i18n.tp(locale, f"incident.task.{task}_title"),
                                due=fmt_time(due_at, tz)))
    return {"task_lines": lines,
            "tasks": [{"action_id": buttons[t], "label": i18n.tp(locale, f"incident.task.{t}_title")} for t in waiting]}
