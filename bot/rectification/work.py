"""The work after approval: extension request and decision (§4.3.2), completion report and verification
(§4.3.3). Each is one transaction, like the steps of `steps.py`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.hazards import transitions
from bot.hazards.kinds import REPORT
from bot.hazards.transitions import Outcome
from bot.i18n import fmt_minutes, fmt_time, mention
from bot.masking import mask
from bot.rectification import card, deadlines
from bot.rectification.states import begin, owners, parse_day, people_who_may, record, tell
from bot.rectification.steps import THREAD_TEXT, _line
from bot.text import clean_text, slack_id
from storage.db import session_scope
from storage.models import AuditEvent

FILE_FIELDS = ("id", "name", "filetype", "permalink")  # what a completion report keeps of each photo


def request_extension(ctx, number: str, user_id: str, reason: object, new_date: object, locale: str) -> Outcome:
    """Only before the deadline, with a reason and a new date; the department head decides."""
    pol = ctx.org.policy.rectification
    reason = clean_text(reason)
    new_due = parse_day(ctx, new_date)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "request_extension", locale, now)
        if refused:
            return refused
        if now >= item.due_at:
            return Outcome(False, i18n.t(locale, "rectification.ext_too_late", number=report.number,
                                         due=fmt_time(item.due_at, ctx.org.tz)))
        if item.ext_due_at is not None:
            return Outcome(False, i18n.t(locale, "rectification.ext_pending_already", number=report.number))
        if item.extensions >= pol.extension.max_requests:
            return Outcome(False, i18n.t(locale, "rectification.ext_used_up", number=report.number,
                                         n=pol.extension.max_requests))
        if not reason or new_due is None:
            return Outcome(False, i18n.t(locale, "rectification.ext_incomplete"))
        if len(reason) > pol.text_max:
            return Outcome(False, i18n.t(locale, "errors.too_long", max=pol.text_max))
        if new_due <= item.due_at or new_due > item.due_at + pol.extension.longest.timedelta:
            return Outcome(False, i18n.t(locale, "rectification.ext_bad_date", due=fmt_time(item.due_at, ctx.org.tz),
                                         took=fmt_minutes(locale, pol.extension.longest.seconds)))
        item.ext_due_at, item.ext_reason, item.ext_by = new_due, reason, user_id
        record(s, item, now, user_id, "rect_extension_requested", {"due": item.due_at.isoformat()},
               {"requested_due": new_due.isoformat()}, note=reason)
        card.update_card(ctx, s, report, item, now)
        due = fmt_time(new_due, ctx.org.tz)
        _line(ctx, s, report, now, "rectification.line_ext_requested", who=mention(user_id), due=due,
              reason=mask(reason)[:THREAD_TEXT])
        tell(ctx, s, report, now, people_who_may(ctx, item, "approve_extension", report.reporter_id),
             "rectification.dm_ext_requested", who=mention(user_id), due=due, reason=mask(reason)[:THREAD_TEXT])
    ctx.wake()
    return Outcome(True, None, report)


def decide_extension(ctx, number: str, user_id: str, approve: bool, locale: str) -> Outcome:
    """Approve (the new date becomes the deadline; the old one stays in the history) or deny."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "approve_extension", locale, now)
        if refused:
            return refused
        if item.ext_due_at is None:
            return Outcome(False, i18n.t(locale, "rectification.ext_none", number=report.number))
        old, asked, by = item.due_at, item.ext_due_at, item.ext_by
        item.ext_due_at, item.ext_reason, item.ext_by = None, "", None
        item.extensions += 1
        before, after = {"due": old.isoformat(), "requested_due": asked.isoformat()}, {"due": old.isoformat()}
        if approve:
            item.due_at, item.overdue = asked, False
            after = {"due": asked.isoformat(), "previous_due": old.isoformat()}
        record(s, item, now, user_id, "rect_extension_approved" if approve else "rect_extension_denied", before, after)
        if approve:
            deadlines.start(ctx, s, report, item, now)
        card.update_card(ctx, s, report, item, now)
        tz = ctx.org.tz
        key = "approved" if approve else "denied"
        _line(ctx, s, report, now, f"rectification.line_ext_{key}", who=mention(user_id), due=fmt_time(item.due_at, tz),
              when=fmt_time(old, tz))
        tell(ctx, s, report, now, [by], f"rectification.dm_ext_{key}", who=mention(user_id),
             due=fmt_time(item.due_at, tz), when=fmt_time(old, tz))
    ctx.wake()
    return Outcome(True, None, report)


def complete(ctx, number: str, user_id: str, text: object, photos: object, locale: str) -> Outcome:
    """The completion report (整改报告) with its evidence; photos where the policy requires them."""
    pol = ctx.org.policy.rectification
    text = clean_text(text)
    # a photo is a file Slack gave: its id (F…) is what makes it one; `{}` or a bare name is no evidence
    files = [{k: str(f.get(k) or "")[:500] for k in FILE_FIELDS} for f in (photos if isinstance(photos, list) else [])
             if isinstance(f, dict) and slack_id(f.get("id"), "F")][:10]
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "complete", locale, now)
        if refused:
            return refused
        if not text:
            return Outcome(False, i18n.t(locale, "rectification.completion_empty"))
        if len(text) > pol.text_max:
            return Outcome(False, i18n.t(locale, "errors.too_long", max=pol.text_max))
        if item.risk in pol.photos_required and not files:
            return Outcome(False, i18n.t(locale, "rectification.photos_needed"))
        item.state, item.completed_at, item.completed_by = "verification", now, user_id
        item.completion, item.evidence, item.overdue = text, files, False
        item.ext_due_at, item.ext_reason, item.ext_by = None, "", None  # a pending request lapses with the work
        record(s, item, now, user_id, "rect_completed", {"state": "in_progress"},
               {"state": "verification", "photos": len(files), "on_time": now <= item.due_at}, note=text)
        deadlines.stop(s, report.id, now)
        card.update_card(ctx, s, report, item, now)
        _line(ctx, s, report, now, "rectification.line_completed", who=mention(user_id), n=len(files))
        tell(ctx, s, report, now, people_who_may(ctx, item, "verify", report.reporter_id),
             "rectification.dm_verify", who=mention(user_id))
    ctx.wake()
    return Outcome(True, None, report)


def _approved_extension(s, report_id: int) -> dt.datetime | None:
    """The deadline the last approved extension of this item granted, if any."""
    after = s.execute(select(AuditEvent.after).where(AuditEvent.subject_type == REPORT, AuditEvent.subject_id == report_id,
                                                     AuditEvent.action == "rect_extension_approved")
                      .order_by(AuditEvent.id.desc()).limit(1)).scalar()
    try:
        return dt.datetime.fromisoformat(after["due"]) if after else None
    except (KeyError, TypeError, ValueError):
        return None


def verify(ctx, number: str, user_id: str, passed: bool, reason: object = "", locale: str = "zh-CN") -> Outcome:
    """Pass: closed, with the time it took. Fail: back to work with the reason and a new deadline (policy)."""
    pol = ctx.org.policy.rectification
    reason = clean_text(reason)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "verify", locale, now)
        if refused:
            return refused
        if not passed and not reason:
            return Outcome(False, i18n.t(locale, "rectification.reason_needed"))
        if len(reason) > pol.text_max:
            return Outcome(False, i18n.t(locale, "errors.too_long", max=pol.text_max))
        item.verified_at, item.verified_by = now, user_id
        tz = ctx.org.tz
        if passed:
            item.state, item.closed_at = "closed", now
            took = (now - report.reported_at).total_seconds()
            record(s, item, now, user_id, "rect_verified", {"state": "verification"},
                   {"state": "closed", "passed": True, "seconds_to_close": int(took)})
            card.update_card(ctx, s, report, item, now)
            _line(ctx, s, report, now, "rectification.line_passed", who=mention(user_id),
                  took=fmt_minutes(ctx.org.locale, took))
            tell(ctx, s, report, now, owners(item), "rectification.dm_passed", who=mention(user_id))
            transitions.close_verified(ctx, s, report.id, user_id, now)  # §4.3.3 验证通过后，关闭隐患项
        else:
            old = item.due_at
            item.state = "in_progress"
            item.due_at = max(deadlines.due_after(ctx, now, pol.reopen_within[item.risk]),
                              _approved_extension(s, report.id) or now)  # an approved extension's later day holds
            record(s, item, now, user_id, "rect_verified", {"state": "verification", "due": old.isoformat()},
                   {"state": "in_progress", "passed": False, "due": item.due_at.isoformat()}, note=reason)
            deadlines.start(ctx, s, report, item, now)
            card.update_card(ctx, s, report, item, now)
            due = fmt_time(item.due_at, tz)
            _line(ctx, s, report, now, "rectification.line_failed", who=mention(user_id), due=due,
                  reason=mask(reason)[:THREAD_TEXT])
            tell(ctx, s, report, now, owners(item), "rectification.dm_failed", who=mention(user_id), due=due,
                 reason=mask(reason)[:THREAD_TEXT])
    ctx.wake()
    return Outcome(True, None, report)
