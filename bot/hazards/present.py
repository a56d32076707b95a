"""Turn stored records into what templates show: pre-formatted, escaped where needed."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.hazards.kinds import current_deadline, current_step, kind, kind_of_report
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time, mention
from bot.limits import MESSAGE_TEXT, NOTE_ON_CARD, PLACE_IN_NOTICE
from bot.masking import mask
from bot.render import render
from storage.models import Report
from storage.queries import group_members, group_reports

IMAGE_TYPES = {"png", "jpg", "jpeg", "gif"}
# Slack allows 50 blocks a message: a header, this many member lines with their buttons, one "more" line.
GROUP_LINES = 45
# How much of a joined report's description its line in the group thread shows (Slack's section limit is
# 3,000 characters; the whole report is on its status view).
MEMBER_TEXT = 300
GROUP_ON_CARD = 20  # joined numbers named on the lead's card (the thread message lists them all)


def level_name(org, report_or_level, locale: str, kind_name: str = "hazard") -> str:
    if isinstance(report_or_level, int):
        return kind(org, kind_name).level_name(report_or_level, locale)
    return kind_of_report(org, report_or_level).level_name(report_or_level.level, locale)


def category_name(org, report_or_key, locale: str, kind_name: str = "hazard") -> str:
    if isinstance(report_or_key, str):
        return kind(org, kind_name).category_name(report_or_key, locale)
    return kind_of_report(org, report_or_key).category_name(report_or_key.category, locale)


def status_label(report: Report, locale: str) -> str:
    label = i18n.tp(locale, f"status.{report.status}")
    step = current_step(report)
    if report.overdue and step:  # 已超时 past the response deadline, 已超期 past the processing one
        label = f"{label} · {i18n.tp(locale, 'status.overdue_respond' if step == 'acknowledge' else 'status.overdue_resolve')}"
    return label


def roles_text(locale: str, roles: list[str]) -> Mrkdwn:
    names = [i18n.tp(locale, f"roles.{r}") for r in roles if r != "anyone"] or [i18n.tp(locale, "roles.anyone")]
    return Mrkdwn(i18n.escape_mrkdwn(i18n.join_list(locale, names, "or")))


def who_may(ctx, locale: str, action: str, key: str, **values) -> i18n.Refusal:
    """A refusal in the person's words: catalog `key`, its `roles` the roles the policy lets do `action`."""
    roles = roles_text(locale, ctx.directory.permitted_roles(action))
    return i18n.Refusal(i18n.t(locale, key, roles=roles, **values))


def mentions(users: list[str]) -> Mrkdwn:
    return Mrkdwn(" ".join(mention(u) for u in users)) if users else Mrkdwn(i18n.escape_mrkdwn("—"))


def card_message(ctx, s, report: Report, now: dt.datetime, new: bool = False) -> dict:
    """The card as it stands now (its joined reports read in the caller's transaction). `new`: the report was stored
    in this very transaction, so nothing can have joined it yet (no read)."""
    responders = ctx.directory.responders_for(report.level, report.team, report.reporter_id, report.kind, report.category)
    return card_payload(ctx.org, report, ctx.org.channels.safety, now, grouped=[] if new else group_members(s, report.id),
                        responders=responders)


def card_payload(org, report: Report, channel: str, now: dt.datetime,
                 grouped: list[tuple] | None = None, responders: list[str] | None = None) -> dict:
    """The report's card in the safety channel, in the organisation's language.

    `grouped`: (number, reporter, when) of reports of the same place that joined this one.
    `responders`: who must respond; mentioned in the card itself (and its notification text), so a
    new report needs one channel post, not a card plus a "please see" reply.
    """
    locale = org.locale
    tz = org.tz
    kind = kind_of_report(org, report)
    level = kind.level_name(report.level, locale)
    photos = []
    for n, photo in enumerate(report.photos or [], start=1):
        photos.append({"n": n, "id": photo.get("id"), "url": photo.get("permalink"),
                       "image": str(photo.get("filetype", "")).lower() in IMAGE_TYPES})
    overdue_line = None
    step = current_step(report)
    if report.overdue and step:
        overdue_line = i18n.t(locale, "card.overdue_line", what=i18n.tp(locale, f"escalation.what_{step}"),
                              due=fmt_time(current_deadline(report), tz))
    ctx = dict(
        number=report.number,
        level=level,
        level_n=report.level,
        category=kind.category_name(report.category, locale),
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
                              when=fmt_time(report.resolved_at, tz), note=mask(report.resolution_note)[:NOTE_ON_CARD])
                       if report.resolved_at else None),
        overdue_line=overdue_line,
        grouped_line=(i18n.t(locale, "card.grouped", n=len(grouped),
                             numbers=i18n.tp(locale, "list.sep").join(n for n, _, _ in grouped[-GROUP_ON_CARD:])
                             + (" …" if len(grouped) > GROUP_ON_CARD else ""))
                      if grouped else None),
        responders=mentions(responders or []),
        assignee=mention(report.assigned_to) if getattr(report, "assigned_to", None) else None,
        unknown_reporter=not getattr(report, "reporter_known", True),
        show_ack=report.status == "open",
        show_resolve=report.status != "resolved",
        value=report.number,
    )
    blocks = render("hazard_card", locale, **ctx)
    text = i18n.t(locale, "card.fallback", number=report.number, level=level, location=ctx["location"][:PLACE_IN_NOTICE],
                  reporter=mention(report.reporter_id), status=ctx["status"], responders=ctx["responders"])
    return {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def member_line(org, locale: str, r: Report) -> Mrkdwn:
    """One joined report in its group: its own number, reporter, time, place and words."""
    return i18n.t(locale, "thread.member_line", number=r.number, who=mention(r.reporter_id),
                  when=fmt_time(r.reported_at, org.tz), location=mask(r.location)[:PLACE_IN_NOTICE] or "—",
                  description=mask(r.description)[:MEMBER_TEXT], unknown=not r.reporter_known)


def group_message(ctx, s, lead: Report) -> dict:
    """The group's rolling thread message: every joined report with its own words and a Separate button."""
    org = ctx.org
    locale = org.locale
    total, members = group_reports(s, lead.id, GROUP_LINES)
    lines = [{"number": r.number, "line": member_line(org, locale, r), "open": r.status != "resolved"}
             for r in members]
    header = i18n.t(locale, "thread.grouped", n=total, lead=lead.number)
    more = i18n.t(locale, "timeline.more", n=total - len(members)) if total > len(members) else None
    blocks = render("group_thread", locale, header=header, members=lines, more=more)
    text = "\n".join([header] + [m["line"] for m in lines])
    return {"channel": org.channels.safety, "text": text[:MESSAGE_TEXT], "blocks": blocks}
