"""The Safety Star of the month (#23; §3.5.3 设立"安全之星"评选，每月表彰): anyone nominates during the month
(`/safeshift star @person reason`; not themselves); on the policy's day of the next month (a day off: the next
working day) the leadership group gets the month's nominations with one button each (the leadership channel, else
each member by DM); the first pick is the star, announced in every team channel. The ask is claimed once (the job
run, and `star_pick.month` unique); the pick under the row's lock, once."""

from __future__ import annotations

import datetime as dt
import re

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot import i18n
from bot.hazards.present import who_may
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.masking import mask
from bot.outbox import ROUTINE, URGENT, enqueue
from bot.prefs import locales_of
from bot.render import render
from bot.text import clean_text, parse_row_id, slack_id
from bot.training.quiz import Outcome
from storage.db import session_scope
from storage.models import AuditEvent, StarNomination, StarPick

JOB = "training:star"
ACTION = "pick_star"
REASON_MAX = 300
SHOWN = 10  # nominees on the leadership group's message (the most nominated first)
MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>\s*(.*)$", re.S)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: dt.date) -> str:
    return month_of(day.replace(day=1) - dt.timedelta(days=1))


def triggers(org) -> dict:
    h, m = (int(x) for x in org.policy.training.star.time.split(":"))
    return {JOB: CronTrigger(hour=h, minute=m, timezone=org.tz)}


def nominate(ctx, user: str, text: object, locale: str) -> Mrkdwn:
    now = ctx.clock.now()
    found = MENTION.match(str(text or "").strip())
    if not found:
        return i18n.t(locale, "training.star_usage")
    nominee, reason = found.group(1), clean_text(found.group(2)).strip()[:REASON_MAX]
    if nominee == user:
        return i18n.Refusal(i18n.t(locale, "training.star_self"))
    if not ctx.directory.is_known(nominee):
        return i18n.t(locale, "training.star_unknown", who=mention(nominee))
    if not reason:
        return i18n.t(locale, "training.star_usage")
    month = month_of(ctx.org.local(now).date())
    with session_scope(ctx.engine) as s:
        row = StarNomination(month=month, nominee=nominee, nominator=user, reason=reason, created_at=now)
        s.add(row)
        s.flush()
        s.add(AuditEvent(at=now, actor=user, action="star_nominated", subject_type="star_nomination",
                         subject_id=row.id, note=reason[:200], after={"month": month, "nominee": nominee}))
    return i18n.t(locale, "training.star_nominated", who=mention(nominee), month=month)


def _nominees(s, month: str) -> list[tuple[str, int, list[str]]]:
    """[(nominee, nominations, reasons)], the most nominated first (then the first nominated). Nominations count
    people, not rows: one person nominating the same colleague ten times is one nomination."""
    rows = s.execute(select(StarNomination).where(StarNomination.month == month)
                     .order_by(StarNomination.id)).scalars().all()
    out: dict[str, list[str]] = {}
    by: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r.nominee, []).append(r.reason)
        by.setdefault(r.nominee, set()).add(r.nominator)
    return sorted(((u, len(by[u]), x) for u, x in out.items()), key=lambda t: -t[1])[:SHOWN]


def _targets(ctx) -> list[str]:
    return [ctx.org.channels.leadership] if ctx.org.channels.leadership else ctx.directory.people("leadership")


def message(ctx, s, pick: StarPick, locale: str) -> dict:
    nominees = _nominees(s, pick.month)
    lines = [i18n.t(locale, "training.star_ask_line", n=i + 1, who=mention(u), count=n,
                    reasons=i18n.escape_mrkdwn(mask(" / ".join(r))[:500])) for i, (u, n, r) in enumerate(nominees)]
    done = None
    if pick.status == "picked":
        done = i18n.t(locale, "training.star_picked", who=mention(pick.picked_by), star=mention(pick.star),
                      at=fmt_time(pick.picked_at, ctx.org.tz))
    buttons = [] if done else [{"value": f"{pick.id}:{u}", "text": i18n.tp(locale, "training.star_pick_button", n=i + 1)}
                               for i, (u, _n, _r) in enumerate(nominees)]
    blocks = render("training_star", locale, title=i18n.tp(locale, "training.star_ask_title", month=pick.month),
                    head=i18n.t(locale, "training.star_ask_head"), body=Mrkdwn("\n".join(lines)), buttons=buttons,
                    done=done)
    return {"text": i18n.tp(locale, "training.star_ask_fallback", month=pick.month), "blocks": blocks}


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """On the policy's day of the month (moved to a working day): ask the leadership group to pick last month's."""
    org = ctx.org
    today = scheduled_for.astimezone(org.tz).date()
    if today != org.workdays.next_working_day(today.replace(day=org.policy.training.star.day)):
        return []
    month = previous_month(today)
    now = ctx.clock.now()
    if not _nominees(s, month) or s.execute(select(StarPick.id).where(StarPick.month == month)).first():
        return []
    pick = StarPick(month=month, status="asked", created_at=now)
    s.add(pick)
    s.flush()
    s.add(AuditEvent(at=now, actor="system", action="star_asked", subject_type="star_pick", subject_id=pick.id,
                     note=month))
    targets = _targets(ctx)
    langs = locales_of(s, org, [t for t in targets if t.startswith(("U", "W"))])
    for t in targets:
        enqueue(s, now, "chat.postMessage", dict(message(ctx, s, pick, langs.get(t, org.locale)), channel=t),
                ordering_key=f"star:{pick.id}", message_key=f"star:{pick.id}:{t}", dedupe_key=f"star:{month}:{t}",
                priority=ROUTINE)
    return []


def pick(ctx, user: str, value: object, locale: str) -> Outcome:
    raw = str(value or "")
    pick_id, _, nominee = raw.partition(":")
    pid, nominee = parse_row_id(pick_id), slack_id(nominee, "UW")
    now = ctx.clock.now()
    if not ctx.directory.allowed(user, ACTION, None):
        with session_scope(ctx.engine) as s:
            s.add(AuditEvent(at=now, actor=user, action="refused_pick_star", note=raw[:200]))
        return Outcome(False, who_may(ctx, locale, ACTION, "training.star_refused"))
    with session_scope(ctx.engine) as s:
        row = s.execute(select(StarPick).where(StarPick.id == pid).with_for_update()
                        .execution_options(populate_existing=True)).scalar_one_or_none() if pid else None
        if row is None or nominee not in {u for u, _n, _r in _nominees(s, row.month)}:
            return Outcome(False, i18n.t(locale, "training.star_not_found"))
        if row.status == "picked":
            return Outcome(False, i18n.t(locale, "training.star_already", month=row.month, star=mention(row.star)))
        row.status, row.star, row.picked_by, row.picked_at = "picked", nominee, user, now
        s.add(AuditEvent(at=now, actor=user, action="star_picked", subject_type="star_pick", subject_id=row.id,
                         note=row.month, before={"status": "asked"}, after={"star": nominee}))
        reasons = next(r for u, _n, r in _nominees(s, row.month) if u == nominee)
        org = ctx.org
        langs = locales_of(s, org, [t for t in _targets(ctx) if t.startswith(("U", "W"))])
        for t in _targets(ctx):
            enqueue(s, now, "chat.update", dict(message(ctx, s, row, langs.get(t, org.locale)), channel=t),
                    ordering_key=f"star:{row.id}", target_key=f"star:{row.id}:{t}", priority=URGENT)
        for team in org.teams:
            if team.channel:
                text = i18n.t(org.locale, "training.star_announce", month=row.month, star=mention(nominee),
                              reasons=i18n.escape_mrkdwn(mask(" / ".join(reasons))[:1500]))
                enqueue(s, now, "chat.postMessage", {"channel": team.channel, "text": str(text)},
                        ordering_key=f"star:{row.id}:announce", dedupe_key=f"star:{row.month}:{team.channel}",
                        priority=ROUTINE)
    ctx.wake()
    return Outcome(True)
