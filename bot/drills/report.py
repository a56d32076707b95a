"""The drill evaluation report (§3.4.2) to the policy's `report_to` targets (the leadership channel): kind, date,
plan, attendance (count and names), score and pass or fail against `pass_score`, the problems with their hazard
numbers and rectification deadlines, the summary. Queued in the evaluation's transaction."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.drills import layout
from bot.drills.notices import ordering_key, targets
from bot.hazards.present import mentions
from bot.i18n import fmt_time
from bot.masking import mask
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.render import render
from storage.models import Drill

PROBLEM_IN_LINE = 300  # how much of a problem one line of the report repeats (its hazard card has all)
SUMMARY_ON_REPORT = 2500  # Slack's section: 3,000


def message(ctx, drill: Drill, people: list[str], filed: list, locale: str) -> dict:
    org = ctx.org
    pol = org.policy.drills
    name = layout.kind_name(org, drill, locale)
    verdict = i18n.tp(locale, "drills.passed" if drill.passed else "drills.failed")
    plan = layout.plan_name(org, drill, locale)
    lines = [i18n.t(locale, "drills.report_problem_line", step=n, text=mask(report.description)[:PROBLEM_IN_LINE],
                    number=report.number, due=fmt_time(item.due_at, org.tz))
             for n, (report, item) in enumerate(filed, start=1)]
    blocks = render(
        "drill_report", locale, title=i18n.tp(locale, "drills.report_title", name=name),
        when=fmt_time(drill.planned_at, org.tz),
        plan=(i18n.t(locale, "drills.report_plan_value", plan=plan, code=drill.plan) if plan else "—"),
        attendance=i18n.t(locale, "drills.report_attendance_value", n=len(people), people=mentions(people)),
        score=i18n.t(locale, "drills.report_score_value", n=drill.score, max=pol.pass_score, status=verdict),
        passed=bool(drill.passed), problems=lines, no_problems=i18n.t(locale, "drills.report_no_problems"),
        summary=mask(drill.summary)[:SUMMARY_ON_REPORT] if drill.summary else None,
        by=i18n.t(locale, "drills.report_by", who=i18n.mention(drill.evaluated_by),
                  when=fmt_time(drill.evaluated_at, org.tz)),
        zone=org.timezone)
    text = i18n.tp(locale, "drills.report_fallback", name=name, when=fmt_time(drill.planned_at, org.tz),
                   n=drill.score, status=verdict, step=len(filed))
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def post(ctx, s, drill: Drill, people: list[str], filed: list, now: dt.datetime) -> None:
    channels, persons = targets(ctx, list(ctx.org.policy.drills.report_to))
    for channel in channels:
        enqueue(s, now, "chat.postMessage", dict(message(ctx, drill, people, filed, ctx.org.locale), channel=channel),
                ordering_key=ordering_key(drill.id), priority=ROUTINE)
    langs = locales_of(s, ctx.org, persons)
    for user in persons:
        enqueue(s, now, "chat.postMessage", dict(message(ctx, drill, people, filed, langs[user]), channel=user),
                ordering_key=ordering_key(drill.id), priority=ROUTINE)
