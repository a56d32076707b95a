"""`/incident`, `/plan`, the incident card's On site and Change level, and the message shortcuts
"Report as incident" / "Report as hazard"."""

from __future__ import annotations

import logging
import re

from bot import i18n, ids
from bot.hazards import forms, lookups, transitions
from bot.hazards.kinds import kind
from bot.incidents import create as incidents
from bot.incidents import followups, plans
from bot.incidents import forms as incident_forms
from bot.text import clean_text, slack_id
from handlers.common import INLINE_ERROR_MAX, metadata, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")

HELP_WORDS = {"help", "帮助", "?"}
LOOKUPS = {"status": "status", "状态": "status", "查询": "status", "mine": "mine", "我的": "mine"}  # #21
_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TS = re.compile(r"^[0-9]{1,12}\.[0-9]{1,8}$")


def _open(client, trigger_id, view, what: str) -> bool:
    return open_view(client, trigger_id, view, what)


def incident_command(ack, body, client, context):
    ctx, locale = context["safeshift"], context["locale"]
    text = clean_text(body.get("text"))
    if text.lower() in HELP_WORDS:
        return ack(response_type="ephemeral", text=i18n.t(locale, "incident.help"))
    word, _, rest = text.partition(" ")
    if LOOKUPS.get(word.lower()) == "status":  # #21: an incident's state and timeline, in its own words
        msg, blocks = lookups.status_message(ctx, rest, body.get("user_id", ""), locale, "incident")
        return ack(response_type="ephemeral", text=msg, blocks=blocks)
    if LOOKUPS.get(word.lower()) == "mine" and not rest:
        msg, blocks = lookups.mine_message(ctx, body.get("user_id", ""), locale, kind_name="incident")
        return ack(response_type="ephemeral", text=msg, blocks=blocks)
    # The trigger dies in ~3 s: open the form before anything else.
    form = incident_forms.incident_form(ctx, locale, text, {"channel": body.get("channel_id")})
    if not _open(client, body.get("trigger_id"), form, "the incident form"):
        return ack(response_type="ephemeral", text=i18n.t(locale, "errors.generic"))
    return ack()


def plan_command(ack, body, context):
    ctx, locale = context["safeshift"], context["locale"]
    text = clean_text(body.get("text"))
    words = plans.review_words(text)
    if words is not None:  # #21 §5.1.1 `/plan review <plan>`: the review recorded, who and when
        outcome = plans.record_review(ctx, words, body.get("user_id", ""), locale)
        return ack(response_type="ephemeral", text=str(outcome.message))
    key = plans.find_plan(ctx.org, text)
    if key is not None:
        msg, blocks = plans.plan_message(ctx, key, locale)
    else:
        msg, blocks = plans.list_message(ctx, locale, unknown=text[:100] or None)
    return ack(response_type="ephemeral", text=msg, blocks=blocks)


def plan_reviewed(ack, body, context):
    """#21 §5.1.1 Reviewed on the stale-plans reminder: the review recorded, the person told (or refused)."""
    ack()
    ctx = context["safeshift"]
    user, channel, key = who_where(body)
    outcome = plans.record_review(ctx, key, user, context["locale"])
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def submit_incident(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    meta = metadata(view)
    data, errors = incidents.validate_incident(kind(ctx.org, incidents.KIND), locale, view_values(view),
                                               meta.get("link"))
    if errors:
        return ack(response_action="errors", errors={k: v[:INLINE_ERROR_MAX] for k, v in errors.items()})
    origin = meta.get("channel")
    created = incidents.create_incident(ctx, source_key=str(view.get("id")), reporter_id=user, data=data,
                                        origin_channel=origin if isinstance(origin, str) else None)
    if created.refused:  # the per-person limit: nothing was stored, the form says why
        return ack(response_action="errors", errors={"description": created.refused[:INLINE_ERROR_MAX]})
    paged = incidents.is_paged(ctx, created.report)
    return ack(response_action="update", view=incident_forms.incident_confirmation(
        ctx, created.report, created.responders, locale, paged))


def on_site(ack, body, context):
    ack()
    ctx = context["safeshift"]
    user, channel, number = who_where(body)
    outcome = incidents.on_site(ctx, number, user, context["locale"])
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def change_level(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, number = who_where(body)
    check = incidents.can_change_level(ctx, number, user, locale)
    if not check.ok:
        transitions.ephemeral(ctx, channel, user, check.message)
        return
    _open(client, body.get("trigger_id"), incident_forms.level_form(ctx, check.report, locale), "the level form")


def submit_level(ack, body, view, context):
    ctx = context["safeshift"]
    user = (body.get("user") or {}).get("id", "")
    values = view_values(view)
    outcome = incidents.change_level(ctx, str(metadata(view).get("number", "")), user,
                                     values.get(ids.INCIDENT_LEVEL_BLOCK), values.get(ids.INCIDENT_REASON_BLOCK),
                                     context["locale"])
    if not outcome.ok:
        return ack(response_action="errors",
                   errors={ids.INCIDENT_LEVEL_BLOCK: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack()


def _message_of(body: dict) -> tuple[str, str | None, str | None]:
    """(text, permalink, channel) of the message a shortcut was used on."""
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    channel = slack_id((body.get("channel") or {}).get("id"), "CGD") if isinstance(body.get("channel"), dict) else None
    domain = str((body.get("team") or {}).get("domain") or "") if isinstance(body.get("team"), dict) else ""
    ts = str(message.get("ts") or body.get("message_ts") or "")
    link = None
    if _DOMAIN.match(domain) and _TS.match(ts) and channel:
        link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return clean_text(message.get("text")), link, channel if isinstance(channel, str) else None


def incident_shortcut(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    text, link, channel = _message_of(body)
    _open(client, body.get("trigger_id"),
          incident_forms.incident_form(ctx, locale, text, {"channel": channel, "link": link}), "the incident form")


def hazard_shortcut(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    text, link, channel = _message_of(body)
    description = "\n".join(x for x in (text, link) if x)  # the hazard form has no link field: the link rides along
    _open(client, body.get("trigger_id"), forms.report_form(ctx, locale, description, {"channel": channel}),
          "the hazard form")


def _task_button(task: str):
    def open_task(ack, body, client, context):
        ack()
        ctx, locale = context["safeshift"], context["locale"]
        user, channel, number = who_where(body)
        check = followups.can_do(ctx, number, user, task, locale)
        if not check.ok:
            transitions.ephemeral(ctx, channel, user, check.message)
            return
        _open(client, body.get("trigger_id"), incident_forms.task_form(ctx, check.report, task, locale), task)

    open_task.__name__ = f"open_{task}"
    return open_task


special_report = _task_button("special_report")
investigate = _task_button("investigation")
postmortem = _task_button("postmortem")


def submit_task(ack, body, view, context):
    ctx = context["safeshift"]
    user = (body.get("user") or {}).get("id", "")
    meta = metadata(view)
    task = str(meta.get("task", ""))
    outcome, errors = followups.submit(ctx, str(meta.get("number", "")), user, task, view_values(view),
                                       context["locale"])
    if errors:
        return ack(response_action="errors", errors={k: v[:INLINE_ERROR_MAX] for k, v in errors.items()})
    if not outcome.ok:
        block = "course" if task == "investigation" else "text"
        return ack(response_action="errors", errors={block: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack()


def register(app) -> None:
    """Incidents' listeners (#18: one `register` per kind, wired by bot/compose.py)."""
    app.command(ids.INCIDENT_COMMAND)(incident_command)
    app.command(ids.PLAN_COMMAND)(plan_command)
    app.action(re.compile(rf"^{ids.PLAN_REVIEWED_ACTION}(:\d+)?$"))(plan_reviewed)  # one per plan: ids unique in a block
    app.view(ids.INCIDENT_VIEW)(submit_incident)
    app.view(ids.INCIDENT_LEVEL_VIEW)(submit_level)
    app.action(ids.INCIDENT_ON_SITE_ACTION)(on_site)
    app.action(ids.INCIDENT_LEVEL_ACTION)(change_level)
    app.action(ids.INCIDENT_SPECIAL_ACTION)(special_report)
    app.action(ids.INCIDENT_INVESTIGATE_ACTION)(investigate)
    app.action(ids.INCIDENT_POSTMORTEM_ACTION)(postmortem)
    app.view(ids.INCIDENT_TASK_VIEW)(submit_task)
    app.message_shortcut(ids.INCIDENT_SHORTCUT)(incident_shortcut)
    app.message_shortcut(ids.HAZARD_SHORTCUT)(hazard_shortcut)
