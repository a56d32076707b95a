"""Modals of an incident: the report form (also opened from a message shortcut), the reporter's answer
(with the emergency steps of its plan for a paging level), and the Change level form."""

from __future__ import annotations

import json

from bot import i18n
from bot.guard import METADATA
from bot.hazards.kinds import kind
from bot.hazards.present import level_name, mentions, status_label
from bot.i18n import Mrkdwn, fmt_time
from bot.incidents.facts import CORRECTIVE_ROWS
from bot.incidents.plans import emergency
from bot.render import render
from bot.text import clean_text

KIND = "incident"


def _levels(k, locale: str) -> list[dict]:
    return [{"value": str(n), "name": lv.name.get(locale), "hint": lv.hint.get(locale)}
            for n, lv in sorted(k.section.levels.items())]


def incident_form(ctx, locale: str, description: str = "", private_metadata: dict | None = None) -> dict:
    k = kind(ctx.org, KIND)
    pol = k.section
    kinds = [{"value": key, "label": i18n.tp(locale, "incident.modal.kind_option", name=c.get(locale),
                                              level=k.level_name(c.level, locale))}
             for key, c in pol.categories.items()]
    meta = private_metadata or {}
    return render("incident_modal", locale, kinds=kinds, levels=_levels(k, locale),
                  description=clean_text(description)[: pol.description_max], description_max=pol.description_max,
                  location_max=pol.location_max, affected_max=pol.affected_max, actions_max=pol.suggestion_max,
                  source_link=meta.get("link"),
                  private_metadata=json.dumps(meta, ensure_ascii=False)[:METADATA])


def incident_confirmation(ctx, report, people: list[str], locale: str, paged: bool) -> dict:
    """The modal's own answer: for a paging level the plan's emergency steps come first."""
    org = ctx.org
    cat = kind(org, KIND).section.categories.get(report.category)
    plan = emergency(org, cat.plan if cat else None, locale) if paged else None
    body = i18n.t(locale, "incident.confirm.paged" if paged else "incident.confirm.body", number=report.number,
                  level=level_name(org, report, locale), people=mentions(people),
                  due=fmt_time(report.respond_due_at, org.tz))
    if paged and plan is None:
        body = Mrkdwn(i18n.join_sentences(locale, i18n.t(locale, "incident.confirm.no_plan"), body))
    return render("incident_confirm", locale, number=report.number, body=body, plan=plan)


def level_form(ctx, report, locale: str) -> dict:
    org = ctx.org
    k = kind(org, KIND)
    summary = i18n.t(locale, "commands.status_title", number=report.number, level=level_name(org, report, locale),
                     category=k.category_name(report.category, locale), status=status_label(report, locale))
    return render("incident_level_modal", locale, summary=summary, levels=_levels(k, locale),
                  reason_max=k.section.suggestion_max, private_metadata=json.dumps({"number": report.number}))


def task_form(ctx, report, task: str, locale: str) -> dict:
    """The form of an after-the-event task: special report, investigation (with corrective actions), post-mortem."""

    org = ctx.org
    k = kind(org, KIND)
    summary = i18n.t(locale, "commands.status_title", number=report.number, level=level_name(org, report, locale),
                     category=k.category_name(report.category, locale), status=status_label(report, locale))
    return render("incident_task_modal", locale, task=task, summary=summary, text_max=k.section.suggestion_max,
                  rows=list(range(1, CORRECTIVE_ROWS + 1)),
                  private_metadata=json.dumps({"number": report.number, "task": task}))
