"""Emergency plans (§3.4.1, §5.1.1): look one up, show it, list them, and the steps an incident's reporter
sees at once. The plans themselves are data: `plans_default.yaml` (templates) merged with `plans:`.

A review (#21, §5.1.1 updated quarterly) is recorded with who and when (`/plan review <plan>`, or Reviewed on the
safety officer's reminder): a `plan_review` row and an audit entry; a plan is stale `incident.plan_review_within`
after its last review, the latest of those rows and the file's `reviewed:`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from bot.hazards.present import mentions, who_may
from bot.hazards.transitions import Outcome
from bot.i18n import Mrkdwn, fmt_time
from bot.policy import Organisation, Plan
from bot.prefs import user_locale
from bot.render import render
from bot.subjects import about
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, PlanReview

REVIEW_WORDS = ("review", "reviewed", "评审")  # `/plan review <plan>` records a review


def find_plan(org: Organisation, text: str) -> str | None:
    """The key of the plan `text` names (its key, a name in either language, or an alias), if any."""
    word = " ".join((text or "").split()).lower()
    if not word:
        return None
    for key, plan in org.plans.items():
        names = {key.lower(), plan.name.en.lower(), plan.name.zh_CN.lower()} | {a.lower() for a in plan.aliases}
        if word in names:
            return key
    return None


def steps_text(locale: str, plan: Plan) -> Mrkdwn:
    return Mrkdwn("\n".join(i18n.t(locale, "plan.step", n=n, text=step.get(locale))
                            for n, step in enumerate(plan.steps, start=1)))


def emergency(org: Organisation, key: str | None, locale: str) -> dict | None:
    """What the reporter of a paging incident sees at once: the plan's steps, route and assembly point."""
    plan = org.plans.get(key) if key else None
    if plan is None:
        return None
    return {"name": plan.name.get(locale), "steps": steps_text(locale, plan),
            "route": plan.evacuation_route.get(locale), "assembly": plan.assembly_point.get(locale)}


def plan_message(ctx, key: str, locale: str) -> tuple[str, list[dict]]:
    """(text, blocks) showing one plan: trigger, steps, person responsible, contacts, route, assembly point."""
    org = ctx.org
    plan = org.plans[key]
    people = ctx.directory.resolve_people(list(plan.responsible), None, None)
    with session_scope(ctx.engine) as s:
        reviewed = last_reviewed(org, key, last_reviews(ctx, s))
    blocks = render("plan", locale, plan_name=plan.name.get(locale), template=plan.template,
                    reviewed=reviewed.isoformat() if reviewed else None,
                    trigger=plan.trigger.get(locale), steps=steps_text(locale, plan),
                    roles=Mrkdwn(i18n.escape_mrkdwn(i18n.join_list(
                        locale, [i18n.tp(locale, f"roles.{r}") for r in plan.responsible], "and"))),
                    people=mentions(people) if people else None,
                    contacts=[c.get(locale) for c in plan.contacts],
                    route=plan.evacuation_route.get(locale), assembly=plan.assembly_point.get(locale))
    return i18n.tp(locale, "plan.fallback", name=plan.name.get(locale)), blocks


def list_message(ctx, locale: str, unknown: str | None = None) -> tuple[str, list[dict]]:
    """(text, blocks) listing every plan; `unknown`: what was asked for and not found."""
    plans = [{"key": key, "name": plan.name.get(locale), "template": plan.template,
              "trigger": plan.trigger.get(locale)} for key, plan in ctx.org.plans.items()]
    blocks = render("plan_list", locale, plans=plans, unknown=unknown)
    return i18n.tp(locale, "plan.list_fallback", n=len(plans)), blocks


def last_reviews(ctx, s, until: dt.date | None = None) -> dict[str, dt.date]:
    """The day of each plan's latest recorded review (in the organisation's zone); `until`: on that day or before
    (a past month's report counts the reviews it had)."""
    rows = s.execute(select(PlanReview.plan, func.max(PlanReview.reviewed_at)).group_by(PlanReview.plan)).all()
    out = {key: ctx.org.local(at).date() for key, at in rows if at is not None}
    if until is None:
        return out
    return {key: day for key, day in out.items() if day <= until} | _latest_until(ctx, s, until, out)


def _latest_until(ctx, s, until: dt.date, latest: dict[str, dt.date]) -> dict[str, dt.date]:
    """For plans whose latest review is after `until`: their latest review on `until` or before, if any."""
    later = [key for key, day in latest.items() if day > until]
    if not later:
        return {}
    out: dict[str, dt.date] = {}
    for key, at in s.execute(select(PlanReview.plan, PlanReview.reviewed_at).where(PlanReview.plan.in_(later))).all():
        day = ctx.org.local(at).date()
        if day <= until and (key not in out or day > out[key]):
            out[key] = day
    return out


def last_reviewed(org: Organisation, key: str, reviews: dict[str, dt.date] | None) -> dt.date | None:
    days = [d for d in (org.plans[key].reviewed, (reviews or {}).get(key)) if d is not None]
    return max(days) if days else None


def stale_plans(org: Organisation, today: dt.date, reviews: dict[str, dt.date] | None = None) -> list[str]:
    """Keys of plans never reviewed, or not within the policy's `incident.plan_review_within` (§5.1.1: quarterly),
    counted from the last review (`reviews`: recorded ones, `last_reviews`)."""
    within = org.policy.incident.plan_review_within.timedelta
    return [key for key in org.plans
            if (day := last_reviewed(org, key, reviews)) is None or today - day > within]


def review_words(text: str) -> str | None:
    """`review <plan>`: the plan's words; None when `text` does not ask to record a review."""
    head, _, rest = (text or "").strip().partition(" ")
    return rest.strip() if head.lower() in REVIEW_WORDS else None


def record_review(ctx, words: str, user_id: str, locale: str | None = None) -> Outcome:
    """#21 §5.1.1: `user_id` reviewed the plan `words` names, now: a row and an audit entry in one transaction.
    Refused (logged) to anyone `review_plan` does not name; an unknown plan stores nothing."""
    org = ctx.org
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        key = find_plan(org, words)
        if key is None:
            return Outcome(False, i18n.t(locale, "plan.review_unknown", text=words[:100]))
        name = org.plans[key].name.get(locale)
        if not ctx.directory.allowed(user_id, "review_plan", None):
            s.add(AuditEvent(at=now, actor=user_id, action="refused_review_plan", note=key))
            return Outcome(False, who_may(ctx, locale, "review_plan", "plan.review_refused", name=name))
        before = last_reviewed(org, key, last_reviews(ctx, s))
        row = PlanReview(plan=key, reviewed_at=now, reviewed_by=user_id)
        s.add(row)
        s.flush()
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="plan_reviewed", **about("plan_review", row.id),
            before={"reviewed": before.isoformat() if before else None},
            after={"plan": key, "reviewed": org.local(now).date().isoformat()}, note=key))
        due = now + org.policy.incident.plan_review_within.timedelta
        return Outcome(True, i18n.t(locale, "plan.review_recorded", name=name, when=fmt_time(now, org.tz),
                                    due=org.local(due).date().isoformat()))
