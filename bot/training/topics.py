"""Topics for the next expert lecture (#23; §5.3.2 基于事故和复盘结果更新培训内容): after an incident review the
safety officer adds one (`/training topic <text>`, or the button on the review's DM, which opens a one-line form);
the next lecture's roster lists every topic not listed yet (bot/training/roster.py, in its send's transaction)."""

from __future__ import annotations

import json

from bot import i18n
from bot.hazards.present import who_may
from bot.i18n import Mrkdwn
from bot.masking import mask
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.render import render
from bot.text import clean_text, parse_row_id
from bot.training import calendar
from storage.db import session_scope
from storage.models import AuditEvent, TrainingTopic

ACTION = "training_topic"  # the policy's permission (the safety officer)
TOPIC_MAX = 300


def _next_lecture(ctx):
    today = ctx.org.local(ctx.clock.now()).date()
    days = [d for s in ctx.org.policy.training.sessions.values() if s.kind == "lecture" and not s.check
            if (d := calendar.next_occurrence(ctx.org, s, today)) is not None]
    return min(days) if days else None


def add(ctx, user: str, text: object, locale: str, report_id: int | None = None) -> Mrkdwn:
    now = ctx.clock.now()
    body = mask(clean_text(text or "").strip()[:TOPIC_MAX])  # ID, bank and mobile numbers never stored nor shown
    if not ctx.directory.allowed(user, ACTION, None):
        with session_scope(ctx.engine) as s:
            s.add(AuditEvent(at=now, actor=user, action="refused_training_topic", note=""))
        return who_may(ctx, locale, ACTION, "training.topic_refused")
    if not body:
        return i18n.t(locale, "training.topic_empty")
    with session_scope(ctx.engine) as s:
        topic = TrainingTopic(text=body, author=user, report_id=report_id, created_at=now)
        s.add(topic)
        s.flush()
        s.add(AuditEvent(at=now, actor=user, action="training_topic_added", subject_type="training_topic",
                         subject_id=topic.id, note=body[:200], after={"text": body, "report": report_id}))
    day = _next_lecture(ctx)
    if day is None:
        return i18n.t(locale, "training.topic_added_no_day", text=body)
    return i18n.t(locale, "training.topic_added", text=body, day=day.isoformat())


def after_review(ctx, s, report, user: str, now) -> None:
    """An incident's review (复盘总结) was just recorded (registry hook `postmortem_submitted`): the people who may
    add a training topic get a DM with a button that opens the topic's form (§5.3.2)."""
    people = ctx.directory.resolve_people(ctx.directory.permitted_roles(ACTION), report.team, None)
    langs = locales_of(s, ctx.org, people)
    for person in people:
        text = i18n.t(langs[person], "training.topic_prompt", number=report.number)
        blocks = render("training_topic_prompt", langs[person], text=text, report_id=str(report.id))
        enqueue(s, now, "chat.postMessage", {"channel": person, "text": str(text), "blocks": blocks},
                ordering_key=f"training:{person}", dedupe_key=f"topic:{report.id}:{person}"[:128], priority=ROUTINE)


def form(ctx, user: str, value: object, locale: str):
    """The topic's form (the button on the review's DM): None when `user` may not add one (told why)."""
    if not ctx.directory.allowed(user, ACTION, None):
        return None, who_may(ctx, locale, ACTION, "training.topic_refused")
    report_id = parse_row_id(value)
    meta = json.dumps({"report": report_id} if report_id else {})
    return render("training_topic_form", locale, metadata=meta, topic_max=TOPIC_MAX), None
