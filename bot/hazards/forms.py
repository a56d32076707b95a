"""Modals: the report form, the resolution form and the confirmation the reporter sees."""

from __future__ import annotations

import json

from bot import i18n
from bot.guard import METADATA
from bot.hazards.kinds import kind
from bot.hazards.present import category_name, level_name, mentions, status_label
from bot.i18n import Mrkdwn, fmt_time
from bot.render import render
from bot.text import clean_text


def report_form(ctx, locale: str, description: str = "", private_metadata: dict | None = None,
                kind_name: str = "hazard") -> dict:
    """The report form, its description prefilled. The form itself depends only on the organisation, the
    language and the kind: it is rendered once and copied (the slash command's answer is on Slack's clock)."""
    k = kind(ctx.org, kind_name)
    key = ("report_form", locale, kind_name)
    blank = ctx.cache.get(key)
    if blank is None:
        blank = ctx.cache[key] = _blank_form(ctx.org, locale, kind_name)
    view = json.loads(blank)
    view["private_metadata"] = json.dumps(private_metadata or {}, ensure_ascii=False)[:METADATA]
    text = clean_text(description)[: k.section.description_max]
    if text:
        for block in view["blocks"]:
            if block.get("block_id") == "description":
                block["element"]["initial_value"] = text
    return view


def _blank_form(org, locale: str, kind_name: str) -> str:
    pol = kind(org, kind_name).section
    levels = [{"value": str(n), "name": lv.name.get(locale), "hint": lv.hint.get(locale)}
              for n, lv in sorted(pol.levels.items())]
    categories = [{"value": key, "label": v.get(locale)} for key, v in pol.categories.items()]
    return json.dumps(render(
        "hazard_modal", locale, levels=levels, categories=categories, initial_category=None, description="",
        description_max=pol.description_max, location_max=pol.location_max, suggestion_max=pol.suggestion_max,
        max_photos=pol.max_photos, private_metadata="{}"), ensure_ascii=False)


def resolve_form(ctx, report, locale: str) -> dict:
    summary = i18n.t(locale, "commands.status_title", number=report.number,
                     level=level_name(ctx.org, report, locale),
                     category=category_name(ctx.org, report, locale), status=status_label(report, locale))
    k = kind(ctx.org, report.kind)
    return render("resolve_modal", locale, summary=summary, note_max=k.section.suggestion_max,
                  title_key=k.words("resolve.title"), private_metadata=json.dumps({"number": report.number}))


def confirmation_text(ctx, report, responders: list[str], locale: str, key: str = "confirm.body") -> Mrkdwn:
    return i18n.t(locale, key, number=report.number, level=level_name(ctx.org, report, locale),
                  responders=mentions(responders), due=fmt_time(report.respond_due_at, ctx.org.tz))


def confirmation_view(ctx, report, responders: list[str], locale: str, lead_number: str | None = None) -> dict:
    body = confirmation_text(ctx, report, responders, locale)
    if lead_number:
        body = Mrkdwn(i18n.join_sentences(locale, body, i18n.t(locale, "confirm.grouped", lead=lead_number)))
    return render("confirm_view", locale, number=report.number, body=body)
