"""The rectification item's card (posted in its hazard's thread, edited at every step) and its forms."""

from __future__ import annotations

import datetime as dt
import json

from bot import i18n, ids, registry
from bot.guard import METADATA
from bot.hazards import notices
from bot.hazards.present import IMAGE_TYPES, mentions
from bot.i18n import fmt_minutes, fmt_time, mention
from bot.masking import mask
from bot.outbox import ROUTINE, enqueue
from bot.rectification.states import holders
from bot.render import render
from storage.models import Report

TEXT_ON_CARD = 1500  # how much of a plan or completion report the card repeats (Slack's section: 3,000)


def card_key(report_id: int) -> str:
    return f"report:{report_id}:rect"


def risk_words(org, locale: str, likelihood: str, impact: str, risk: str) -> dict:
    pol = org.policy.rectification
    return dict(risk=pol.levels[risk].get(locale), likelihood=pol.likelihood[likelihood].get(locale),
                impact=pol.impact[impact].get(locale))


def card_payload(ctx, s, report: Report, item, now: dt.datetime) -> dict:
    org, locale, tz = ctx.org, ctx.org.locale, ctx.org.tz
    state = i18n.tp(locale, f"rectification.state_{item.state}")
    if item.overdue and item.state == "in_progress":
        state = f"{state} · {i18n.tp(locale, 'rectification.overdue')}"
    plan = item.plan or {}
    evidence = [{"n": n, "url": p.get("permalink"), "image": str(p.get("filetype", "")).lower() in IMAGE_TYPES}
                for n, p in enumerate(item.evidence or [], start=1) if p.get("permalink")]
    recurring = None
    if item.recurring_of:
        earlier = s.get(Report, item.recurring_of)
        recurring = i18n.t(locale, "rectification.recurring_line", lead=earlier.number if earlier else "—",
                           who=mentions(ctx.directory.people("department_head")))
    context = dict(
        number=report.number, state=state, holder=mentions(holders(ctx, item, report.reporter_id)),
        due=(fmt_time(item.due_at, tz) if item.due_at else i18n.tp(locale, "rectification.due_not_yet")),
        first_due=(fmt_time(item.first_due_at, tz) if item.first_due_at and item.first_due_at != item.due_at
                   else None),
        accountable=mention(item.accountable), assigned=mention(item.assigned),
        measures=mask(plan.get("measures", ""))[:TEXT_ON_CARD] if plan else None,
        resources=mask(plan.get("resources", ""))[:TEXT_ON_CARD] if plan else None,
        target=plan.get("target") or "—",
        extension=(i18n.t(locale, "rectification.ext_pending", who=mention(item.ext_by),
                          due=fmt_time(item.ext_due_at, tz), reason=mask(item.ext_reason)[:TEXT_ON_CARD])
                   if item.ext_due_at else None),
        completion=mask(item.completion)[:TEXT_ON_CARD] if item.completed_at else None,
        evidence=evidence[:10], recurring=recurring,
        flagged=(i18n.t(locale, "rectification.flagged_line", team=item.team or "—") if item.flagged else None),
        closed=(i18n.t(locale, "rectification.closed_line", who=mention(item.verified_by),
                       when=fmt_time(item.closed_at, tz),
                       took=fmt_minutes(locale, (item.closed_at - report.reported_at).total_seconds()))
                if item.closed_at else None),
        buttons=buttons(item), value=report.number, zone=org.timezone,
        **risk_words(org, locale, item.likelihood, item.impact, item.risk),
    )
    blocks = render("rect_card", locale, **context)
    text = i18n.t(locale, "rectification.fallback", number=report.number, state=state, due=context["due"],
                  people=context["holder"])
    return {"channel": org.channels.safety, "text": text, "blocks": blocks, "unfurl_links": False,
            "unfurl_media": False}


def buttons(item) -> list[str]:
    """The steps open in the item's state, as their action ids (the template names each)."""
    if item.state == "planning":
        return [ids.RECT_PLAN_ACTION, ids.RECT_REASSIGN_ACTION]
    if item.state == "approval":
        return [ids.RECT_APPROVE_ACTION, ids.RECT_SEND_BACK_ACTION, ids.RECT_REASSIGN_ACTION]
    if item.state == "in_progress":
        ext = ([ids.RECT_EXT_APPROVE_ACTION, ids.RECT_EXT_DENY_ACTION] if item.ext_due_at
               else [ids.RECT_EXTENSION_ACTION])
        return [ids.RECT_COMPLETE_ACTION] + ext + [ids.RECT_REASSIGN_ACTION]
    if item.state == "verification":
        return [ids.RECT_PASS_ACTION, ids.RECT_FAIL_ACTION, ids.RECT_REASSIGN_ACTION]
    return []


def post_card(ctx, s, report: Report, item, now: dt.datetime) -> None:
    """The item's card, in its hazard card's thread."""
    enqueue(s, now, "chat.postMessage", card_payload(ctx, s, report, item, now),
            ordering_key=notices.ordering_key(report.id), target_key=notices.card_key(report.id),
            message_key=card_key(report.id), report_id=report.id, priority=ROUTINE)


def update_card(ctx, s, report: Report, item, now: dt.datetime) -> None:
    """The item's card edited in place; then every installed kind that follows items (`Kind.extra["rect_item_changed"]`,
    e.g. an incident whose corrective action this item is, #21) hears of the change, in the same transaction."""
    enqueue(s, now, "chat.update", card_payload(ctx, s, report, item, now),
            ordering_key=notices.ordering_key(report.id), target_key=card_key(report.id), report_id=report.id,
            priority=ROUTINE)
    for kind in registry.current().kinds:
        hook = kind.extra.get("rect_item_changed")
        if hook is not None:
            hook(ctx, s, report, item, now)


# --------------------------------------------------------------------------- forms
def field(block: str, kind: str, label: str, *, optional: bool = False, max_length: int | None = None,
          options: list[dict] | None = None, hint: str | None = None, initial=None) -> dict:
    return dict(block=block, kind=kind, label=label, optional=optional, max=max_length, options=options or [],
                hint=hint, initial=initial)


def form(callback_id: str, locale: str, title_key: str, fields: list[dict], metadata: dict,
         summary: str | None = None) -> dict:
    return render("rect_form", locale, callback_id=callback_id, title=i18n.tp(locale, title_key),
                  fields=fields, summary=summary,
                  private_metadata=json.dumps(metadata, ensure_ascii=False)[:METADATA])


def options(org, locale: str, section: str) -> list[dict]:
    words = getattr(org.policy.rectification, section)
    return [{"value": key, "label": words[key].get(locale)} for key in words]


def assess_form(ctx, report: Report, locale: str) -> dict:
    org = ctx.org
    fields = [field("likelihood", "select", i18n.tp(locale, "rectification.likelihood"),
                    options=options(org, locale, "likelihood")),
              field("impact", "select", i18n.tp(locale, "rectification.impact"), options=options(org, locale, "impact"))]
    return form(ids.RECT_VIEW, locale, "rectification.assess_title", fields, {"number": report.number, "step": "assess"},
                summary=i18n.t(locale, "rectification.assess_summary", number=report.number,
                               location=mask(report.location)[:200] or "—"))


def step_form(ctx, report: Report, item, step: str, locale: str) -> dict:
    """The form of a step that asks for words: plan, send back, extension, completion, failed verification,
    reassign."""
    n = ctx.org.policy.rectification.text_max
    tp = lambda key: i18n.tp(locale, f"rectification.{key}")  # noqa: E731
    plan = item.plan or {}
    fields = {
        "plan": [field("measures", "multiline", tp("measures"), max_length=n, initial=plan.get("measures")),
                 field("resources", "multiline", tp("resources"), max_length=n, initial=plan.get("resources")),
                 field("target", "date", tp("target"), initial=plan.get("target"))],  # sent back: kept
        "send_back": [field("comment", "multiline", tp("comment"), max_length=n)],
        "extension": [field("reason", "multiline", tp("ext_reason"), max_length=n),
                      field("new_date", "date", tp("ext_date"))],
        "complete": [field("completion", "multiline", tp("completion"), max_length=n),
                     field("photos", "files", tp("photos"),
                           optional=item.risk not in ctx.org.policy.rectification.photos_required)],
        "verify_fail": [field("reason", "multiline", tp("fail_reason"), max_length=n)],
        "reassign": [field("accountable", "users", tp("accountable"), initial=item.accountable),
                     field("assigned", "users", tp("assigned"), initial=item.assigned)],
    }[step]
    return form(ids.RECT_VIEW, locale, f"rectification.title_{step}", fields, {"number": report.number, "step": step},
                summary=i18n.t(locale, "rectification.form_summary", number=report.number,
                               state=tp(f"state_{item.state}"),
                               due=fmt_time(item.due_at, ctx.org.tz) if item.due_at else tp("due_not_yet")))
