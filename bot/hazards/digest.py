"""Daily digest and weekly hazard summary: counts first, a few details after. The other kinds' figures (checks
done yesterday, today's checks and drills) come through the registry (`Kind.digest`, #18): this module names none.

Everything is computed with SQL aggregates over indexed columns, so a store with
a million reports answers in well under a second (see docs/BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics

from sqlalchemy import DateTime, func, select, type_coerce

from bot import i18n, registry
from bot.hazards.kinds import current_step, deadline
from bot.hazards.present import category_name, level_name, mentions, status_label
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time
from bot.masking import mask
from bot.render import render
from storage.db import session_scope
from storage.models import JobRun, Report, report_is_open
from storage.queries import open_counts, per_transaction

DETAILS = 5  # lines per folded list
PLACE_IN_LINE = 80  # characters of a place name in one line (a digest is read at a glance, not searched)


@contextlib.contextmanager
def _using(ctx, session):
    """The caller's session when inside its transaction (a second one would wait on SQLite's lock)."""
    if session is not None:
        yield session
    else:
        with session_scope(ctx.engine) as s:
            yield s


DIGEST_KIND = "hazard"  # the daily digest and the weekly summary count hazards (隐患); incidents have their own


def _team_filter(q, team: str | None):
    """Hazards only (an incident is not a hazard), of one team when `team` is given."""
    q = q.where(Report.kind == DIGEST_KIND)
    return q.where(Report.team == team) if team else q


def _local_day_bounds(ctx, moment: dt.datetime, days_back: int) -> tuple[dt.datetime, dt.datetime]:
    tz = ctx.org.tz
    day = moment.astimezone(tz).date() - dt.timedelta(days=days_back)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def last_digest_time(ctx, now: dt.datetime, session=None) -> dt.datetime:
    with _using(ctx, session) as s:
        last = s.execute(select(func.max(JobRun.scheduled_for)).where(JobRun.job == "daily_digest",
                                                                      JobRun.scheduled_for < now)).scalar()
    return last or now - dt.timedelta(days=1)


def daily_content(ctx, now: dt.datetime, team: str | None = None, since: dt.datetime | None = None,
                  session=None) -> dict:
    """The numbers behind a daily digest (tests assert on this)."""
    since = since or last_digest_time(ctx, now, session)
    y_start, y_end = _local_day_bounds(ctx, now, 1)
    y_day = now.astimezone(ctx.org.tz).date() - dt.timedelta(days=1)
    open_q = _team_filter(select(Report).where(report_is_open()), team)
    with _using(ctx, session) as s:
        new_by_team = per_transaction(s, ("digest_new", since, now), lambda: dict(s.execute(  # every channel's, once
            _team_filter(select(Report.team, func.count()).where(Report.reported_at >= since, Report.reported_at < now),
                         None).group_by(Report.team)).all()))
        new_count = sum(new_by_team.values()) if team is None else new_by_team.get(team, 0)
        new_items = _first_new(s, since, now, team) if new_count else []
        figures = open_counts(s, teams=None if team is None else (team,))  # one grouped read for every channel
        overdue_items = s.execute(open_q.where(Report.overdue.is_(True)).order_by(Report.level, Report.reported_at)
                                  .limit(DETAILS)).scalars().all() if figures["overdue"] else []
        spans = per_transaction(s, ("digest_spans", y_start, y_end), lambda: s.execute(  # every channel's, once
            # only differences are taken: read as the driver gives them (UTC on both engines), not made aware one by
            # one (thousands of values on a busy day: ~5 ms of the digest's CPU over 1,000,000 reports)
            _team_filter(select(Report.team, type_coerce(Report.reported_at, DateTime()),
                                type_coerce(Report.acknowledged_at, DateTime()))
                         .where(Report.acknowledged_at >= y_start, Report.acknowledged_at < y_end,
                                ~answered_at_filing()), None)  # a drill's problems were never waiting for an answer
        ).all())
        parts = [k.digest(ctx, s, now, team, since) for k in registry.current().with_parts("digest")]
    tta = [(a - r).total_seconds() for t, r, a in spans if team is None or t == team]
    content = {
        "since": since,
        "new_count": new_count,
        "new_items": new_items,
        "open_by_level": figures["by_level"],
        "open_count": figures["open"],
        "overdue_count": figures["overdue"],
        "overdue_items": overdue_items,
        "tta": tta,
        "day": y_day,
        "parts": parts,
    }
    for part in parts:
        content.update(part.values)
    return content


def _first_new(s, since: dt.datetime, now: dt.datetime, team: str | None) -> list[Report]:
    """The first DETAILS hazards reported in [since, now) of `team` (None: the department), by level, oldest first.

    Every channel's, once per transaction (issue 26): one statement ranks the reports of each team from
    `ix_report_week` alone (`row_number()` per team; the department's first are among its teams' first), a second
    reads only the rows listed. Before, each channel read all its new rows whole and sorted them (on PostgreSQL a
    day's heap pages: 9.5–12.7 ms for the department's alone, of the digest's 24.5–35 ms of server time)."""
    def rank():
        by = (Report.level, Report.reported_at, Report.id)
        n = func.row_number().over(partition_by=Report.team, order_by=by).label("n")
        ranked = _team_filter(select(Report.id, Report.team, Report.level, Report.reported_at, n)
                              .where(Report.reported_at >= since, Report.reported_at < now), None).subquery()
        rows = s.execute(select(ranked.c.id, ranked.c.team, ranked.c.level, ranked.c.reported_at)
                         .where(ranked.c.n <= DETAILS)).all()
        rows.sort(key=lambda r: (r.level, r.reported_at, r.id))
        firsts = {None: [r.id for r in rows[:DETAILS]]}
        for r in rows:
            if r.team is not None:
                firsts.setdefault(r.team, []).append(r.id)
        wanted = {i for ids in firsts.values() for i in ids}
        whole = {r.id: r for r in s.execute(select(Report).where(Report.id.in_(sorted(wanted)))).scalars()} \
            if wanted else {}
        return {key: [whole[i] for i in ids] for key, ids in firsts.items()}

    return per_transaction(s, ("digest_first_new", since, now), rank).get(team, [])


def answered_at_filing():
    """A hazard its reporter answered as they filed it (`create.file_answered`: a drill's problem): it never
    waited for an answer, so it is no time-to-acknowledge figure."""
    return (Report.acknowledged_at == Report.reported_at) & (Report.acknowledged_by == Report.reporter_id)


def daily_payload(ctx, now: dt.datetime, channel: str, team: str | None = None, since=None, session=None,
                  notes=None) -> dict:
    org = ctx.org
    locale = org.locale
    c = daily_content(ctx, now, team, since, session)
    date = now.astimezone(org.tz).strftime("%Y-%m-%d")
    title = i18n.tp(locale, "digest.team_title", team=team, date=date) if team else i18n.tp(locale, "digest.title", date=date)
    counts = i18n.t(locale, "digest.counts", new=c["new_count"], open=c["open_count"], overdue=c["overdue_count"])
    if c["open_by_level"]:
        parts = Mrkdwn(" · ".join(
            i18n.t(locale, "digest.level_part", level=level_name(org, lvl, locale), n=n,
                   age=fmt_minutes(locale, (now - oldest).total_seconds()))
            for lvl, n, oldest in c["open_by_level"]))
        open_line = i18n.t(locale, "digest.open_by_level", parts=parts)
    else:
        open_line = i18n.t(locale, "digest.none_open")
    new_lines = [i18n.t(locale, "digest.new_line", number=r.number, level=level_name(org, r.level, locale),
                        category=category_name(org, r.category, locale), location=mask(r.location)[:PLACE_IN_LINE] or "—",
                        status=status_label(r, locale)) for r in c["new_items"]]
    if c["new_count"] > len(new_lines):
        new_lines.append(i18n.t(locale, "digest.more", n=c["new_count"] - len(new_lines)))
    overdue_lines = []
    for r in c["overdue_items"]:
        purpose = current_step(r) or "resolve"
        due = deadline(r, purpose)
        holders = ctx.directory.responders_for(r.level, r.team, r.reporter_id, r.kind, r.category)
        overdue_lines.append(i18n.t(locale, "digest.overdue_line", number=r.number,
                                    level=level_name(org, r.level, locale),
                                    what=i18n.tp(locale, f"escalation.what_{purpose}"),
                                    due=fmt_time(due, org.tz), holders=mentions(holders)))
    if c["overdue_count"] > len(overdue_lines):
        overdue_lines.append(i18n.t(locale, "digest.more", n=c["overdue_count"] - len(overdue_lines)))
    target = org.policy.schedule.response_target.seconds
    if c["tta"]:
        tta_line = i18n.t(locale, "digest.tta", median=fmt_minutes(locale, statistics.median(c["tta"])),
                          worst=fmt_minutes(locale, max(c["tta"])), n=len(c["tta"]),
                          target=fmt_minutes(locale, target), breached=sum(1 for x in c["tta"] if x > target))
    else:
        tta_line = i18n.t(locale, "digest.tta_none")
    inc = c["incidents"]
    incident_lines = None
    if inc["new"] or inc["open"]:
        lines = [i18n.t(locale, "digest.incidents", new=inc["new"], open=inc["open"], overdue=inc["overdue"])]
        lines += [i18n.t(locale, "digest.incident_line", number=r.number, level=level_name(org, r.level, locale, "incident"),
                         kind=category_name(org, r.category, locale, "incident"), status=status_label(r, locale))
                  for r in inc["items"]]
        if inc["open"] > len(inc["items"]):
            lines.append(i18n.t(locale, "digest.more", n=inc["open"] - len(inc["items"])))
        incident_lines = Mrkdwn("\n".join(lines))
    blocks = render("digest", locale, title=title, counts=counts, open_line=open_line,
                    incident_lines=incident_lines,
                    new_lines=Mrkdwn("\n".join(new_lines)) if new_lines else None,
                    overdue_lines=Mrkdwn("\n".join(overdue_lines)) if overdue_lines else None,
                    tta_line=tta_line,
                    context_lines=[line for _, line in sorted((x for p in c["parts"] for x in p.lines(locale)),
                                                              key=lambda x: x[0]) if line],
                    section_lines=[line for _, line in sorted((x for p in c["parts"] for x in p.sections(locale)),
                                                              key=lambda x: x[0]) if line],
                    notes=_notes_lines(notes))
    text = i18n.t(locale, "digest.fallback", date=date, new=c["new_count"], open=c["open_count"],
                  overdue=c["overdue_count"])
    return {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}


def _noted():
    """Kinds whose notes go once into the next digest run (training: the safety officer's daily update, §2.3.3):
    `extra["digest_notes"]` with `pending(s)`, `publish(s, notes, now)` and `lines(notes)`."""
    return [k for k in registry.current().kinds if "digest_notes" in k.extra]


def _notes_lines(notes: dict | None):
    lines = [line for k in _noted() if (line := k.extra["digest_notes"].lines((notes or {}).get(k.name) or []))]
    return Mrkdwn("\n".join(lines)) if lines else None


def daily_payloads(ctx, now: dt.datetime, team: str | None = None, since=None, session=None) -> list[dict]:
    """The safety channel gets the whole department; each team channel its own team. The safety officer's notes not
    published yet (§2.3.3 每日安全动态) go in every digest of the run; the scheduled run (with its claim's `session`)
    marks them published, so each goes out once."""
    out = []
    with _using(ctx, session) as s:
        notes = {k.name: k.extra["digest_notes"].pending(s) for k in _noted()}
        if team is None:
            out.append(daily_payload(ctx, now, ctx.org.channels.safety, None, since, s, notes))
            teams = [t for t in ctx.org.teams if t.channel]
        else:
            teams = [t for t in ctx.org.teams if t.name == team]
        for t in teams:
            out.append(daily_payload(ctx, now, t.channel or ctx.org.channels.safety, t.name, since, s, notes))
        if session is not None:
            for k in _noted():
                k.extra["digest_notes"].publish(s, notes[k.name], now)
    return out


def weekly_content(ctx, now: dt.datetime, team: str | None = None, session=None) -> dict:
    start = now - dt.timedelta(days=7)
    with _using(ctx, session) as s:
        in_week = _team_filter(select(Report).where(Report.reported_at >= start, Report.reported_at < now), team)
        sub = in_week.subquery()
        by_category = s.execute(select(sub.c.category, func.count()).group_by(sub.c.category)
                                .order_by(func.count().desc())).all()
        by_level = s.execute(select(sub.c.level, func.count()).group_by(sub.c.level).order_by(sub.c.level)).all()
        loc = func.lower(func.trim(sub.c.location))
        recurring = s.execute(select(loc, func.count()).where(sub.c.location != "").group_by(loc)
                              .having(func.count() > 1).order_by(func.count().desc()).limit(DETAILS)).all()
        opened = sum(n for _, n in by_level)
        closed = s.execute(select(func.count()).select_from(
            _team_filter(select(Report).where(Report.resolved_at >= start, Report.resolved_at < now), team).subquery()
        )).scalar_one()
        open_now = open_counts(s, teams=None if team is None else (team,))["open"]
        # the slowest answers of the week, ranked by the database from ix_report_acked alone (a busy week has
        # thousands), then the few lines read
        order = (_took(s).desc(), Report.acknowledged_at, Report.id)
        slowest = _team_filter(select(Report.id).where(Report.acknowledged_at >= start, Report.acknowledged_at < now,
                                                       ~answered_at_filing()), team).order_by(*order).limit(DETAILS)
        slow = s.execute(select(Report.number, Report.level, Report.reported_at, Report.acknowledged_at)
                         .where(Report.id.in_(slowest.correlate(None).scalar_subquery())).order_by(*order)).all()
        # other kinds' parts (the indicators: the week's figures and the items for the meeting, §4.2.3)
        parts = [k.extra["weekly_sections"](ctx, s, now, team) for k in registry.current().kinds
                 if "weekly_sections" in k.extra]
    return {"start": start, "by_category": by_category, "by_level": by_level, "recurring": recurring,
            "opened": opened, "closed": closed, "open_now": open_now, "slowest": slow, "parts": parts}


def _took(s):
    """acknowledged_at − reported_at as something both engines order by (SQLite keeps moments as text)."""
    if s.get_bind().dialect.name == "sqlite":
        return func.julianday(Report.acknowledged_at) - func.julianday(Report.reported_at)
    return Report.acknowledged_at - Report.reported_at


def weekly_payloads(ctx, now: dt.datetime, team: str | None = None, session=None) -> list[dict]:
    org = ctx.org
    locale = org.locale
    c = weekly_content(ctx, now, team, session)
    tz = org.tz
    start, end = c["start"].astimezone(tz).strftime("%Y-%m-%d"), now.astimezone(tz).strftime("%Y-%m-%d")
    none = i18n.t(locale, "weekly.none")
    cats = Mrkdwn(" · ".join(i18n.t(locale, "weekly.part", name=category_name(org, k, locale), n=n)
                             for k, n in c["by_category"])) or none
    lvls = Mrkdwn(" · ".join(i18n.t(locale, "weekly.part", name=level_name(org, k, locale), n=n)
                             for k, n in c["by_level"])) or none
    recurring = [i18n.t(locale, "weekly.recurring_line", location=mask(loc)[:PLACE_IN_LINE], n=n) for loc, n in c["recurring"]]
    slow = [i18n.t(locale, "weekly.slowest_line", number=r.number, level=level_name(org, r.level, locale),
                   took=fmt_minutes(locale, (r.acknowledged_at - r.reported_at).total_seconds())) for r in c["slowest"]]
    blocks = render("weekly", locale, title=i18n.tp(locale, "weekly.title", start=start, end=end),
                    opened_closed=i18n.t(locale, "weekly.opened_closed", opened=c["opened"], closed=c["closed"],
                                         open_now=c["open_now"]),
                    by_category=i18n.t(locale, "weekly.by_category", parts=cats),
                    by_level=i18n.t(locale, "weekly.by_level", parts=lvls),
                    recurring=Mrkdwn("*" + i18n.tp(locale, "weekly.recurring_title").strip("*") + "*\n" +
                                     ("\n".join(recurring) if recurring else i18n.t(locale, "weekly.recurring_none"))),
                    slowest=Mrkdwn("*" + i18n.tp(locale, "weekly.slowest_title").strip("*") + "*\n" +
                                   ("\n".join(slow) if slow else i18n.t(locale, "weekly.slowest_none"))),
                    section_lines=[line for part in c["parts"] for line in part(locale)])
    text = i18n.t(locale, "weekly.fallback", start=start, end=end, opened=c["opened"], closed=c["closed"])
    channel = org.channels.safety
    if team:
        t = ctx.directory.team(team)
        channel = (t.channel if t else None) or channel
    return [{"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}]
