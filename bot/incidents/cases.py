"""The monthly case summary (§5.2.3: handled cases published every month): to the leadership channel, the
incidents of the month before — how many of each level, and each handled case with what happened, what was
done and what changed (its post-mortem summary, or its corrective actions); and (#21, §5.1.1) the emergency plans
not reviewed within `incident.plan_review_within`, also told to the safety officer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from bot.hazards.kinds import kind
from bot.i18n import Mrkdwn, fmt_minutes
from bot.incidents.plans import last_reviews, stale_plans
from bot.masking import mask
from bot.prefs import locales_of
from bot.render import render
from storage.models import CorrectiveAction, Report

KIND = "incident"
CASES = 20  # handled cases listed one by one (the rest are counted): a summary is read at a glance
TEXT_IN_LINE = 150  # how much of a case's words one line repeats


def month_bounds(ctx, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
    """(start, end, "YYYY-MM") of the calendar month before `moment`, in the organisation's zone."""
    tz = ctx.org.tz
    local = moment.astimezone(tz)
    end = dt.datetime(local.year, local.month, 1, tzinfo=tz)
    start = dt.datetime(end.year - (end.month == 1), 12 if end.month == 1 else end.month - 1, 1, tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc), start.strftime("%Y-%m")


def monthly_content(ctx, scheduled_for: dt.datetime, session) -> dict:
    start, end, label = month_bounds(ctx, scheduled_for)
    s = session
    by_level = s.execute(select(Report.level, func.count()).where(
        Report.kind == KIND, Report.reported_at >= start, Report.reported_at < end)
        .group_by(Report.level).order_by(Report.level)).all()
    handled_q = select(Report).where(Report.kind == KIND, Report.resolved_at >= start, Report.resolved_at < end)
    handled_n = s.execute(select(func.count()).select_from(handled_q.subquery())).scalar_one()
    cases = list(s.execute(handled_q.order_by(Report.level, Report.resolved_at).limit(CASES)).scalars())
    actions = dict(s.execute(select(CorrectiveAction.report_id, func.count()).where(
        CorrectiveAction.report_id.in_([c.id for c in cases] or [0])).group_by(CorrectiveAction.report_id)).all())
    return {"label": label, "by_level": [tuple(r) for r in by_level], "handled": handled_n, "cases": cases,
            "actions": actions}


def monthly_payloads(ctx, scheduled_for: dt.datetime, session) -> list[dict]:
    org = ctx.org
    locale = org.locale
    k = kind(org, KIND)
    c = monthly_content(ctx, scheduled_for, session)
    reported = sum(n for _, n in c["by_level"])
    parts = Mrkdwn(" · ".join(i18n.t(locale, "incident.cases.level_part", level=k.level_name(lvl, locale), n=n)
                              for lvl, n in c["by_level"])) if c["by_level"] else None
    counts = i18n.t(locale, "incident.cases.counts", reported=reported, handled=c["handled"], parts=parts or "")
    lines = []
    for r in c["cases"]:
        if r.postmortem:
            changed = i18n.t(locale, "incident.cases.changed_postmortem", text=mask(r.postmortem)[:TEXT_IN_LINE])
        elif c["actions"].get(r.id):
            changed = i18n.t(locale, "incident.cases.changed_actions", n=c["actions"][r.id])
        else:
            changed = i18n.t(locale, "incident.cases.changed_none")
        lines.append(i18n.t(locale, "incident.cases.line", number=r.number, level=k.level_name(r.level, locale),
                            kind=k.category_name(r.category, locale), what=mask(r.description)[:TEXT_IN_LINE],
                            done=mask(r.resolution_note)[:TEXT_IN_LINE] or "—", changed=changed))
    if c["handled"] > len(lines):
        lines.append(i18n.t(locale, "incident.cases.more", n=c["handled"] - len(lines)))
    title = i18n.tp(locale, "incident.cases.title", month=c["label"])
    from bot.checks.shift_rates import monthly_lines  # the month's checklist completion per team (#10)

    start, end, _ = month_bounds(ctx, scheduled_for)
    stale = stale_plans(org, org.local(scheduled_for).date(), last_reviews(ctx, session))  # #21 §5.1.1: counted from the last review
    within = fmt_minutes(locale, org.policy.incident.plan_review_within.seconds)
    stale_line = (i18n.t(locale, "incident.cases.stale_plans", within=within,
                         plans=i18n.join_list(locale, [org.plans[p].name.get(locale) for p in stale], "and"))
                  if stale else None)
    blocks = render("incident_cases", locale, title=title, counts=counts, lines=lines,
                    checklists=monthly_lines(ctx, session, start, end, locale), stale=stale_line)
    text = i18n.t(locale, "incident.cases.fallback", month=c["label"], reported=reported, handled=c["handled"])
    out = [{"channel": org.channels.leadership or org.channels.safety, "text": text, "blocks": blocks,
            "unfurl_links": False}]
    if stale:  # the safety officer keeps the plans (§5.1.1): reminded, in their own language
        officers = ctx.directory.people("safety_officer")
        langs = locales_of(session, org, officers)
        for user in officers:  # each with a Reviewed button per plan: the review recorded, who and when
            loc = langs[user]
            text = i18n.t(loc, "incident.cases.stale_dm", within=fmt_minutes(loc, org.policy.incident.plan_review_within.seconds),
                          plans=i18n.join_list(loc, [org.plans[p].name.get(loc) for p in stale], "and"))
            out.append({"channel": user, "text": text, "blocks": render(
                "plan_review_dm", loc, text=text, plans=[{"key": p, "name": org.plans[p].name.get(loc)} for p in stale])})
    return out
