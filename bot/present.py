"""Turn stored records into what templates show: pre-formatted, escaped where needed."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time, mention
from bot.masking import mask
from bot.policy import Organisation
from bot.render import render
from storage.models import Report

IMAGE_TYPES = {"png", "jpg", "jpeg", "gif"}


def level_name(org: Organisation, level: int, locale: str) -> str:
    lvl = org.policy.hazard.levels.get(level)
    return lvl.name.get(locale) if lvl else str(level)


def category_name(org: Organisation, category: str, locale: str) -> str:
    cat = org.policy.hazard.categories.get(category)
    return cat.get(locale) if cat else category


def status_label(report: Report, locale: str) -> str:
    label = i18n.tp(locale, f"status.{report.status}")
    if report.overdue and report.status != "resolved":
        label = f"{label} · {i18n.tp(locale, 'status.overdue')}"
    return label


def roles_text(locale: str, roles: list[str]) -> Mrkdwn:
    names = [i18n.tp(locale, f"roles.{r}") for r in roles if r != "anyone"] or [i18n.tp(locale, "roles.anyone")]
    return Mrkdwn(i18n.escape_mrkdwn(i18n.tp(locale, "roles.or").join(names)))


def mentions(users: list[str]) -> Mrkdwn:
    return Mrkdwn(" ".join(mention(u) for u in users)) if users else Mrkdwn(i18n.escape_mrkdwn("—"))


def card_payload(org: Organisation, report: Report, channel: str, now: dt.datetime,
                 grouped: list[tuple] | None = None) -> dict:
    """The report's card in the safety channel, in the organisation's language.

    `grouped`: (number, reporter, when) of reports of the same place that joined this one.
    """
    locale = org.locale
    tz = org.tz
    level = level_name(org, report.level, locale)
    photos = []
    for n, photo in enumerate(report.photos or [], start=1):
        photos.append({"n": n, "id": photo.get("id"), "url": photo.get("permalink"),
                       "image": str(photo.get("filetype", "")).lower() in IMAGE_TYPES})
    overdue_line = None
    if report.overdue and report.status != "resolved":
        what_key = "acknowledge" if report.status == "open" else "resolve"
        due = report.respond_due_at if report.status == "open" else report.resolve_due_at
        overdue_line = i18n.t(locale, "card.overdue_line", what=i18n.tp(locale, f"escalation.what_{what_key}"),
                              due=fmt_time(due, tz))
    ctx = dict(
        number=report.number,
        level=level,
        level_n=report.level,
        category=category_name(org, report.category, locale),
        location=mask(report.location) or "—",
        description=mask(report.description),
        suggestion=mask(report.suggestion),
        reporter=mention(report.reporter_id),
        reported_at=fmt_time(report.reported_at, tz),
        respond_by=fmt_time(report.respond_due_at, tz),
        resolve_by=fmt_time(report.resolve_due_at, tz),
        status=status_label(report, locale),
        photos=photos,
        zone=org.timezone,
        acked_line=(i18n.t(locale, "card.acked_line", who=mention(report.acknowledged_by),
                           when=fmt_time(report.acknowledged_at, tz),
                           took=fmt_minutes(locale, (report.acknowledged_at - report.reported_at).total_seconds()))
                    if report.acknowledged_at else None),
        resolved_line=(i18n.t(locale, "card.resolved_line", who=mention(report.resolved_by),
                              when=fmt_time(report.resolved_at, tz), note=mask(report.resolution_note)[:500])
                       if report.resolved_at else None),
        overdue_line=overdue_line,
        grouped_line=(i18n.t(locale, "card.grouped", n=len(grouped),
                             numbers=", ".join(n for n, _, _ in grouped[-20:]) + (" …" if len(grouped) > 20 else ""))
                      if grouped else None),
        show_ack=report.status == "open",
        show_resolve=report.status != "resolved",
        value=report.number,
    )
    blocks = render("hazard_card", locale, **ctx)
    text = i18n.t(locale, "card.fallback", number=report.number, level=level, location=ctx["location"][:200],
                  reporter=mention(report.reporter_id), status=ctx["status"])
    return {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
