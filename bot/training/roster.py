"""Sessions on the policy's calendar (#23; §3.5.2 每月安全学习会, §2.2.2 每周团队安全学习, §5.3.2 每季度专题讲座):
the roster sent to the organisers on the day (a checkbox per person expected: the team, or the department), and its
one Save. Saving records the session (a training session with its hours, one attendance row per person who came)
in one transaction with its audit row, edits the roster in place for every organiser, and lists the absentees to
their supervisor (once: the roster is saved once). The weekly team study is the check `team_study` of
`checks.every`: its Done (`check_done`, a registry hook the checks kind calls) opens the roster, so one study is
one message, not two.

Exactly once across replicas: the job run is claimed in `job_run`, and each roster has the unique key
`session:<policy key>:<team or ->:<nominal day>`, read in the claim's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.i18n import fmt_time, mention
from bot.outbox import ROUTINE, URGENT, enqueue
from bot.prefs import locales_of
from bot.render import render
from bot.text import parse_row_id, slack_id
from bot.training import calendar, quarterly
from bot.training.quiz import Outcome
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, TrainingAttendance, TrainingRoster, TrainingSession, TrainingTopic

SUBJECT = "training_roster"  # audit rows of a roster: ("training_roster", id)
PER_BLOCK = 10  # Slack's checkboxes hold at most 10 options
PEOPLE_MAX = 400  # 40 blocks of checkboxes: within Slack's 50 blocks a message
LOOKBACK = 7  # a run also issues the last days' rosters not issued yet (an outage)


def ordering_key(roster_id: int) -> str:
    return f"roster:{roster_id}"


def message_key(roster_id: int, organiser: str) -> str:
    return f"roster:{roster_id}:{organiser}"


def _groups(ctx, session) -> list[tuple[str | None, list[str], list[str]]]:
    """[(team or None, organisers, expected)]: one per team for a team session, else one for the department."""
    directory = ctx.directory
    roles = [r for r in session.organiser if r != "team_supervisors"]
    if session.attendees == "team":
        out = []
        for team in ctx.org.teams:
            org = (list(team.supervisors) if "team_supervisors" in session.organiser else []) + \
                directory.resolve_people(roles, team.name, None)
            out.append((team.name, org or directory.people("safety_officer"), list(dict.fromkeys(team.members))))
        return out
    org = directory.resolve_people(roles, None, None)
    if "team_supervisors" in session.organiser:
        org += [u for t in ctx.org.teams for u in t.supervisors if u not in org]
    return [(None, org or directory.people("safety_officer"), quarterly.members(ctx.org))]


def issue(ctx, s, key: str, session, nominal: dt.date, now: dt.datetime, team: str | None = None,
          organisers: list[str] | None = None) -> list[TrainingRoster]:
    """The rosters of one occurrence (one per team, or the department's), each once; `team` and `organisers`: the
    one roster a check's Done opens."""
    groups = _groups(ctx, session)
    if team is not None:
        groups = [(t, organisers or o, e) for t, o, e in groups if t == team]
    made = []
    day = ctx.org.workdays.next_working_day(nominal)
    for group_team, owners, expected in groups:
        rkey = f"session:{key}:{group_team or '-'}:{nominal.isoformat()}"[:120]
        owners = [u for u in dict.fromkeys(owners) if u]
        if not owners or s.execute(select(TrainingRoster.id).where(TrainingRoster.key == rkey)).first() is not None:
            continue
        roster = TrainingRoster(key=rkey, session_key=key, kind=session.kind, team=group_team, day=day,
                                hours=session.hours.seconds / 3600, organisers=owners, expected=expected[:PEOPLE_MAX],
                                topics=[], status="open", attended=[], created_at=now)
        s.add(roster)
        s.flush()
        if session.kind == "lecture":  # §5.3.2: the topics added after reviews, listed in the lecture's notice
            topics = s.execute(select(TrainingTopic).where(TrainingTopic.roster_id.is_(None))
                               .order_by(TrainingTopic.id).with_for_update()).scalars().all()
            for t in topics:
                t.roster_id = roster.id
            roster.topics = [t.text for t in topics]
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="training_roster_sent", subject_type=SUBJECT, subject_id=roster.id,
            before=None, note=rkey, after={"session": key, "team": group_team, "day": day.isoformat(),
                                           "organisers": owners, "expected": roster.expected}))
        langs = locales_of(s, ctx.org, owners)
        for owner in owners:
            enqueue(s, now, "chat.postMessage", dict(message(ctx, roster, langs[owner]), channel=owner),
                    ordering_key=ordering_key(roster.id), message_key=message_key(roster.id, owner),
                    dedupe_key=f"{rkey}:{owner}"[:128], priority=ROUTINE)
        made.append(roster)
    return made


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """Today's roster, and those of the last days not issued yet (an outage)."""
    org = ctx.org
    key, session = calendar.by_job(org)[job]
    today = scheduled_for.astimezone(org.tz).date()
    for back in range(LOOKBACK, -1, -1):
        nominal = calendar.occurrence_on(org, session, today - dt.timedelta(days=back))
        if nominal is not None:
            issue(ctx, s, key, session, nominal, ctx.clock.now())
    return []


def check_done(ctx, s, task, user: str, now: dt.datetime) -> None:
    """The checks kind recorded a check Done (registry hook `check_done`): when a session *is* that check (the
    weekly team study), the person who pressed Done gets the roster of that team and day."""
    for key, session in ctx.org.policy.training.sessions.items():
        if session.check and session.check == task.name and task.kind == "check":
            issue(ctx, s, key, session, task.day, now, team=task.team or None, organisers=[user])


def title(ctx, roster: TrainingRoster, locale: str) -> str:
    session = ctx.org.policy.training.sessions.get(roster.session_key)
    name = session.name.get(locale) if session else i18n.tp(locale, f"training.kind_{roster.kind}")
    return " · ".join(x for x in (name, roster.team, roster.day.isoformat()) if x)


def message(ctx, roster: TrainingRoster, locale: str) -> dict:
    """The roster as it stands: open (checkboxes, Save) or saved (who came, who did not)."""
    name = title(ctx, roster, locale)
    head = i18n.t(locale, "training.roster_head", n=len(roster.expected), hours=f"{roster.hours:g}")
    topics = i18n.t(locale, "training.roster_topics", topics="\n".join(
        "• " + i18n.escape_mrkdwn(t) for t in roster.topics)) if roster.topics else None
    chunks, done = [], None
    if roster.status == "open":
        people = list(roster.expected)
        chunks = [[{"value": u, "text": mention(u)} for u in people[i:i + PER_BLOCK]]
                  for i in range(0, len(people), PER_BLOCK)]
    else:
        absent = [u for u in roster.expected if u not in roster.attended]
        done = i18n.t(locale, "training.roster_saved", who=mention(roster.saved_by),
                      at=fmt_time(roster.saved_at, ctx.org.tz), came=len(roster.attended), n=len(roster.expected),
                      absent=i18n.Mrkdwn(i18n.join_list(locale, [mention(u) for u in absent], "and")) if absent
                      else "—")
    blocks = render("training_roster", locale, title=name, head=head, topics=topics, chunks=chunks, done=done,
                    roster_id=str(roster.id))
    return {"text": i18n.tp(locale, "training.roster_fallback", title=name), "blocks": blocks,
            "unfurl_links": False, "unfurl_media": False}


def _may_save(ctx, roster: TrainingRoster, user: str) -> bool:
    return user in (roster.organisers or []) or ctx.directory.allowed(user, "record_training", roster.team)


def save(ctx, user: str, value: object, ticked: list, locale: str) -> Outcome:
    """Save: the people ticked came. Once: a second Save (another organiser, a double click) changes nothing."""
    roster_id = parse_row_id(value)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        roster = s.execute(select(TrainingRoster).where(TrainingRoster.id == roster_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none() if roster_id else None
        if roster is None:
            return Outcome(False, i18n.t(locale, "training.roster_not_found"))
        if not _may_save(ctx, roster, user):
            s.add(AuditEvent(at=now, actor=user, action="refused_save_roster", note=roster.key[:200]))
            return Outcome(False, i18n.Refusal(i18n.t(locale, "training.roster_refused")))
        if roster.status != "open":
            return Outcome(False, i18n.t(locale, "training.roster_already", who=mention(roster.saved_by),
                                         at=fmt_time(roster.saved_at, ctx.org.tz)))
        picked = {u for u in (slack_id(x, "UW") for x in ticked[:PEOPLE_MAX]) if u}
        came = [u for u in roster.expected if u in picked]
        row = TrainingSession(course=title(ctx, roster, ctx.org.locale), kind=roster.kind, day=roster.day,
                              hours=roster.hours, recorded_by=user, recorded_at=now)
        s.add(row)
        s.flush()
        for u in came:
            s.add(TrainingAttendance(session_id=row.id, user_id=u))
        roster.status, roster.attended, roster.session_id = "saved", came, row.id
        roster.saved_by, roster.saved_at = user, now
        absent = [u for u in roster.expected if u not in came]
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user, action="training_roster_saved", subject_type=SUBJECT, subject_id=roster.id,
            before={"status": "open"}, note=roster.key[:200],
            after={"session": row.id, "attended": came, "absent": absent, "hours": roster.hours}))
        langs = locales_of(s, ctx.org, list(roster.organisers))
        for owner in roster.organisers:
            enqueue(s, now, "chat.update", dict(message(ctx, roster, langs[owner]), channel=owner),
                    ordering_key=ordering_key(roster.id), target_key=message_key(roster.id, owner), priority=URGENT)
        _tell_supervisors(ctx, s, roster, absent, now)
    ctx.wake()
    return Outcome(True)


def _tell_supervisors(ctx, s, roster: TrainingRoster, absent: list[str], now: dt.datetime) -> None:
    """Each supervisor: one DM naming their people who did not come (counted against participation, §6.2.1); an
    absent supervisor is named to the department head."""
    by_sup: dict[str, list[str]] = {}
    for u in absent:
        team = ctx.directory.team_of(u)
        sups = [x for x in (team.supervisors if team else []) if x != u]
        for sup in sups or [x for x in ctx.directory.people("department_head") if x != u]:  # a supervisor: their head
            by_sup.setdefault(sup, []).append(u)
    langs = locales_of(s, ctx.org, list(by_sup))
    for sup, people in by_sup.items():
        text = i18n.t(langs[sup], "training.roster_absent", title=title(ctx, roster, langs[sup]),
                      people=i18n.Mrkdwn(i18n.join_list(langs[sup], [mention(u) for u in people], "and")))
        enqueue(s, now, "chat.postMessage", {"channel": sup, "text": str(text), "unfurl_links": False},
                ordering_key=f"training:{sup}", dedupe_key=f"{roster.key}:absent:{sup}"[:128], priority=ROUTINE)
