"""Emergency plans (§3.4.1, §5.1.1): look one up, show it, list them, and the steps an incident's reporter
sees at once. The plans themselves are data: `plans_default.yaml` (templates) merged with `plans:`."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.hazards.present import mentions
from bot.i18n import Mrkdwn
from bot.policy import Organisation, Plan
from bot.render import render


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
    blocks = render("plan", locale, plan_name=plan.name.get(locale), template=plan.template,
                    reviewed=plan.reviewed.isoformat() if plan.reviewed else None,
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


def stale_plans(org: Organisation, today: dt.date) -> list[str]:
    """Keys of plans never reviewed, or not within the policy's `incident.plan_review_within` (§5.1.1: quarterly)."""
    within = org.policy.incident.plan_review_within.timedelta
    return [key for key, plan in org.plans.items() if plan.reviewed is None or today - plan.reviewed > within]
