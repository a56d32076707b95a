"""What every step of a rectification item shares: its states, who holds each, the permission check.

An item is acted on through its hazard's number (one item per hazard). Each step is one transaction:
the item read under its row lock, the audit row (its hazard's timeline), the outbox rows.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from bot import i18n
from bot.hazards import notices
from bot.hazards.kinds import REPORT
from bot.hazards.lookups import find_report
from bot.hazards.transitions import Outcome
from bot.i18n import Mrkdwn
from bot.prefs import locales_of
from bot.subjects import about
from storage.db import buffer_insert
from storage.models import AuditEvent, RectItem

STATES = ("planning", "approval", "in_progress", "verification", "closed")
# The states in which a step may be taken (the permission says by whom).
OPEN_IN = {
    "submit_plan": ("planning",),
    "approve_plan": ("approval",),
    "request_extension": ("in_progress",),
    "approve_extension": ("in_progress",),
    "complete": ("in_progress",),
    "verify": ("verification",),
    "reassign": ("planning", "approval", "in_progress", "verification"),
}
# Who holds the item in each state: the owner, or whoever may take the state's step.
HOLDING_STEP = {"approval": "approve_plan", "verification": "verify"}
USER_RE = re.compile(r"^[UW][A-Z0-9]{2,31}$")
END_OF_DAY = dt.time(23, 59)  # a date picked in a form means "by the end of that day" in the organisation's zone


def item_of(s, report_id: int, lock: bool = False) -> RectItem | None:
    stmt = select(RectItem).where(RectItem.report_id == report_id)
    if lock:  # read afresh under the row lock; changes not yet written go first (they would be overwritten)
        s.flush()
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return s.execute(stmt).scalar_one_or_none()


def owners(item: RectItem) -> list[str]:
    return [u for u in dict.fromkeys([item.assigned, item.accountable]) if u]


def roles_of(ctx, item: RectItem | None, user_id: str, team: str | None) -> set[str]:
    roles = ctx.directory.roles_of(user_id, team)
    if item is not None and user_id in owners(item):
        roles.add("owner")
    return roles


def may(ctx, item: RectItem | None, user_id: str, action: str, team: str | None) -> bool:
    return bool(set(ctx.org.policy.permissions.get(action, [])) & roles_of(ctx, item, user_id, team))


def people_who_may(ctx, item: RectItem, action: str, reporter: str | None) -> list[str]:
    """The people a step waits for: the owner, or everyone the permission names; for a decision on someone's own
    work (policy `own_work`), everyone but its author, or the first rung that names someone else."""
    out = _permitted_people(ctx, item, action, reporter)
    rungs = ctx.org.policy.rectification.own_work.get(action)
    if rungs is None:
        return out
    authors = authors_of(item, action)
    others = [u for u in out if u not in authors]
    if others:
        return others
    for role in rungs:
        found = [u for u in ctx.directory.resolve_people([role], item.team, reporter) if u not in authors]
        if found:
            return found
    return []


def _permitted_people(ctx, item: RectItem, action: str, reporter: str | None) -> list[str]:
    out: list[str] = []
    for role in ctx.org.policy.permissions.get(action, []):
        if role == "owner":
            found = owners(item)
        elif role in ("anyone", "team_members"):
            continue
        else:
            found = ctx.directory.resolve_people([role], item.team, reporter)
        out += [u for u in found if u not in out]
    return out


def authors_of(item: RectItem, action: str) -> set[str]:
    """Who wrote what `action` decides on: the plan (its author; an older plan recorded none: its owners), the
    pending extension request, the completion report."""
    if action == "approve_plan":
        by = (item.plan or {}).get("by")
        return {by} if by else set(owners(item))
    if action == "approve_extension":
        return {item.ext_by} if item.ext_by else set()
    if action == "verify":
        return {item.completed_by} if item.completed_by else set()
    return set()


def own_work(ctx, item: RectItem, user_id: str, action: str) -> bool:
    """Is `user_id` about to decide on their own work (a step the policy keeps from its author)?"""
    return action in ctx.org.policy.rectification.own_work and user_id in authors_of(item, action)


def holders(ctx, item: RectItem, reporter: str | None) -> list[str]:
    if item.state == "closed":
        return []
    if item.state == "in_progress" and item.ext_due_at is not None:
        return people_who_may(ctx, item, "approve_extension", reporter)
    step = HOLDING_STEP.get(item.state)
    return people_who_may(ctx, item, step, reporter) if step else [item.assigned]


def roles_words(ctx, locale: str, action: str) -> Mrkdwn:
    names = [i18n.tp(locale, "rectification.owner_role" if r == "owner" else f"roles.{r}")
             for r in ctx.directory.permitted_roles(action)] or [i18n.tp(locale, "roles.nobody")]
    return Mrkdwn(i18n.escape_mrkdwn(i18n.join_list(locale, names, "or")))


def refuse(ctx, s, locale: str, action: str, number: str, user_id: str, now: dt.datetime) -> Outcome:
    """Refused: the person is told who may, and the attempt goes to the operation log."""
    s.add(AuditEvent(at=now, actor=user_id, action=f"refused_{action}", note=number))
    return Outcome(False, i18n.Refusal(i18n.t(locale, "rectification.refused", number=number,
                                              step=i18n.tp(locale, f"rectification.step_{action}"),
                                              roles=roles_words(ctx, locale, action))))


def refuse_own(ctx, s, locale: str, action: str, report, item: RectItem, user_id: str, now: dt.datetime) -> Outcome:
    """The author of the plan, request or report may not decide on it: told who is expected, logged, nothing changed."""
    s.add(AuditEvent(at=now, actor=user_id, action=f"refused_{action}", note=f"{report.number} own work"))
    people = people_who_may(ctx, item, action, report.reporter_id)
    return Outcome(False, i18n.Refusal(i18n.t(
        locale, "rectification.refused_own", number=report.number, what=i18n.tp(locale, f"rectification.own_{action}"),
        step=i18n.tp(locale, f"rectification.step_{action}"),
        people=Mrkdwn(" ".join(i18n.mention(u) for u in people)) if people else i18n.tp(locale, "roles.nobody"))))


def not_now(locale: str, item: RectItem, number: str) -> Outcome:
    return Outcome(False, i18n.t(locale, "rectification.not_now", number=number,
                                 state=i18n.tp(locale, f"rectification.state_{item.state}")))


def begin(ctx, s, number: str, user_id: str, action: str, locale: str, now: dt.datetime):
    """(report, item, None) when `user_id` may take `action` on the item of hazard `number` now; else
    (report, item, the refusal). The item comes locked: two clicks at once cannot both act."""
    report = find_report(s, number)
    item = item_of(s, report.id) if report is not None else None
    if item is None:
        return report, None, Outcome(False, i18n.t(locale, "rectification.no_item", number=number))
    if own_work(ctx, item, user_id, action):
        return report, item, refuse_own(ctx, s, locale, action, report, item, user_id, now)
    if not may(ctx, item, user_id, action, item.team) and not (
            action in ctx.org.policy.rectification.own_work
            and user_id in people_who_may(ctx, item, action, report.reporter_id)):
        return report, item, refuse(ctx, s, locale, action, report.number, user_id, now)
    item = item_of(s, report.id, lock=True)
    if own_work(ctx, item, user_id, action):  # its author changed while we were not holding the lock
        return report, item, refuse_own(ctx, s, locale, action, report, item, user_id, now)
    if item.state not in OPEN_IN[action]:
        return report, item, not_now(locale, item, report.number)
    return report, item, None


def record(s, item: RectItem, now: dt.datetime, actor: str, action: str, before: dict | None, after: dict,
           note: str = "") -> None:
    item.version += 1
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=actor, action=action, **about(REPORT, item.report_id),
                                                before=before, after=after, note=note))


def tell(ctx, s, report, now: dt.datetime, people: list[str], key: str, **values) -> None:
    """A DM to each of `people` in their own language."""
    langs = locales_of(s, ctx.org, people)
    for user in people:
        notices.direct(ctx, s, report, now, user, i18n.t(langs[user], key, number=report.number, **values))


def parse_day(ctx, value: object) -> dt.datetime | None:
    """A form's date (YYYY-MM-DD) as the end of that day in the organisation's zone, in UTC."""
    try:
        day = dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=ctx.org.tz).astimezone(dt.timezone.utc)
