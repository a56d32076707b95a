"""The risk register (风险清单, §4.1): `/risk` lists it by level with the 3×3 matrix and its counts,
`/risk add` adds a risk, `/risk observe` files a weekly risk observation (风险观察表, §4.1.1), `/risk review N`
records a review; a quarterly reminder asks the leadership group to review it (`review_payloads`, a job)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import i18n, ids
from bot.i18n import fmt_minutes, fmt_time, mention
from bot.masking import mask
from bot.rectification.card import field, form, options
from bot.rectification.states import USER_RE, roles_words
from bot.render import render
from bot.text import clean_text, parse_row_id
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, JobRun, ProcessedEvent, Risk

LINES_PER_LEVEL = 15  # risks listed per level in the ephemeral answer (Slack: 50 blocks, 3,000 characters each)
TEXT_IN_LIST = 120  # how much of a risk's description and controls a line repeats
OBSERVATIONS_PER_TEAM = 5  # #21: the latest observations /risk shows of each team
OBSERVATIONS_SCAN = 200  # the latest observations looked through for them
WEEK = dt.timedelta(days=7)  # "this week's observations" in the register's header
WORDS = {"add": "add", "新增": "add", "添加": "add", "observe": "observe", "观察": "observe",
         "review": "review", "评审": "review"}


def short(name: str) -> str:
    """A likelihood, impact or level name without its explanation: 高（每周数次） → 高, High (…) → High."""
    return name.split("（")[0].split(" (")[0].strip()


@dataclass
class FormOutcome:
    ok: bool
    message: i18n.Mrkdwn | None = None
    view: dict | None = None


def _risk_form(ctx, locale: str, kind: str) -> dict:
    n = ctx.org.policy.rectification.text_max
    tp = lambda key: i18n.tp(locale, f"risk.{key}")  # noqa: E731
    if kind == "observation":
        fields = [field("description", "multiline", tp("observation"), max_length=n),
                  field("location", "text", tp("location"), optional=True, max_length=200)]
    else:
        org = ctx.org
        fields = [field("description", "multiline", tp("description"), max_length=n),
                  field("likelihood", "select", i18n.tp(locale, "rectification.likelihood"),
                        options=options(org, locale, "likelihood")),
                  field("impact", "select", i18n.tp(locale, "rectification.impact"), options=options(org, locale, "impact")),
                  field("controls", "multiline", tp("controls"), optional=True, max_length=n),
                  field("owner", "users", tp("owner"), optional=True)]
    return form(ids.RISK_VIEW, locale, f"risk.title_{kind}", fields, {"kind": kind})


def form_for(ctx, user_id: str, text: str, locale: str) -> FormOutcome | None:
    """What `/risk <text>` opens: None for the register itself (answered by `register_message`)."""
    word, _, rest = clean_text(text).partition(" ")
    what = WORDS.get(word.lower())
    if what is None:
        return None
    if what == "observe":  # any agent files one (§4.1.1); someone the organisation file does not know may not
        if not ctx.directory.is_known(user_id):
            with session_scope(ctx.engine) as s:
                return FormOutcome(False, _refuse_stranger(ctx, s, user_id, locale))
        return FormOutcome(True, None, _risk_form(ctx, locale, "observation"))
    if what == "review":
        return FormOutcome(False, review(ctx, user_id, rest, locale))
    with session_scope(ctx.engine) as s:
        if not ctx.directory.allowed(user_id, "add_risk", ctx.directory.team_of(user_id) and
                                     ctx.directory.team_of(user_id).name):
            s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="refused_add_risk", note="/risk add"))
            return FormOutcome(False, i18n.t(locale, "risk.refused", roles=roles_words(ctx, locale, "add_risk"),
                                             step=i18n.tp(locale, "risk.step_add")))
    return FormOutcome(True, None, _risk_form(ctx, locale, "risk"))


def _refuse_stranger(ctx, s, user_id: str, locale: str) -> i18n.Mrkdwn:
    s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="refused_observe_risk", note="not in the organisation file"))
    return i18n.t(locale, "risk.stranger")


def _observations_refused(ctx, s, user_id: str, now: dt.datetime, locale: str) -> i18n.Mrkdwn | None:
    """Observations have the per-person limit of reports (`hazard.rate_limit`); strangers add nothing."""
    if not ctx.directory.is_known(user_id):
        return _refuse_stranger(ctx, s, user_id, locale)
    limit = ctx.org.policy.hazard.rate_limit
    if limit is None:
        return None
    filed = s.execute(select(func.count()).select_from(Risk).where(
        Risk.created_by == user_id, Risk.kind == "observation", Risk.created_at >= now - limit.window.timedelta)).scalar()
    if filed < limit.max:
        return None
    s.add(AuditEvent(at=now, actor=user_id, action="refused_observe_risk", note="rate limit"))
    return i18n.t(locale, "risk.rate_limited", n=limit.max, window=fmt_minutes(locale, limit.window.seconds))


def add(ctx, user_id: str, kind: str, values: dict, locale: str, view_id: str = "") -> FormOutcome:
    """Store a risk (its level through the matrix) or an observation; the form turns into a confirmation.
    One form is one row: the same view submitted again (`view_id`) stores nothing more."""
    key = f"risk_view:{view_id}"[:64] if view_id else None
    try:
        return _add(ctx, user_id, kind, values, locale, key)
    except IntegrityError:  # the same form raced itself: the other submission stored it
        return FormOutcome(True, None, render("risk_done", locale, body=i18n.t(locale, "risk.already")))


def _add(ctx, user_id: str, kind: str, values: dict, locale: str, key: str | None) -> FormOutcome:
    pol = ctx.org.policy.rectification
    description = clean_text(values.get("description"))
    now = ctx.clock.now()
    team = ctx.directory.team_of(user_id)
    with session_scope(ctx.engine) as s:
        if key and s.get(ProcessedEvent, key) is not None:
            return FormOutcome(True, None, render("risk_done", locale, body=i18n.t(locale, "risk.already")))
        if not description:
            return FormOutcome(False, i18n.t(locale, "risk.description_empty"))
        if len(description) > pol.text_max:
            return FormOutcome(False, i18n.t(locale, "errors.too_long", max=pol.text_max))
        if kind == "observation":
            refused = _observations_refused(ctx, s, user_id, now, locale)
            if refused:
                return FormOutcome(False, refused)
            row = Risk(kind="observation", description=description, team=team.name if team else None,
                       controls=clean_text(values.get("location"))[:200], created_at=now, created_by=user_id)
        else:
            if not ctx.directory.allowed(user_id, "add_risk", team.name if team else None):
                s.add(AuditEvent(at=now, actor=user_id, action="refused_add_risk", note="/risk add"))
                return FormOutcome(False, i18n.t(locale, "risk.refused", roles=roles_words(ctx, locale, "add_risk"),
                                                 step=i18n.tp(locale, "risk.step_add")))
            likelihood, impact = values.get("likelihood"), values.get("impact")
            if not (isinstance(likelihood, str) and isinstance(impact, str)) or likelihood not in pol.likelihood \
                    or impact not in pol.impact:  # a forged form may send a list or an object
                return FormOutcome(False, i18n.t(locale, "rectification.pick_risk"))
            owner = str(values.get("owner") or "").strip()
            if owner and not (USER_RE.match(owner) and ctx.directory.is_known(owner)):
                return FormOutcome(False, i18n.t(locale, "risk.owner_unknown"))
            row = Risk(kind="risk", description=description, likelihood=likelihood, impact=impact,
                       level=pol.risk(likelihood, impact), controls=clean_text(values.get("controls"))[:pol.text_max],
                       owner=owner or user_id, team=team.name if team else None,
                       created_at=now, created_by=user_id)
        if key:
            s.add(ProcessedEvent(event_id=key, received_at=now))
        s.add(row)
        s.flush()
        s.add(AuditEvent(at=now, actor=user_id, action=f"{row.kind}_added", note=f"risk:{row.id}",
                         after={"level": row.level}))
        body = (i18n.t(locale, "risk.added", n=row.id, risk=pol.levels[row.level].get(locale))
                if row.kind == "risk" else i18n.t(locale, "risk.observed", n=row.id))
    return FormOutcome(True, None, render("risk_done", locale, body=body))


def review(ctx, user_id: str, text: str, locale: str) -> i18n.Mrkdwn:
    """`/risk review N`: the leadership group records that risk N was reviewed now."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        if not ctx.directory.allowed(user_id, "review_risk", None):
            s.add(AuditEvent(at=now, actor=user_id, action="refused_review_risk", note=f"/risk review {text[:20]}"))
            return i18n.t(locale, "risk.refused", roles=roles_words(ctx, locale, "review_risk"),
                          step=i18n.tp(locale, "risk.step_review"))
        number = parse_row_id((text.split() or [""])[0])  # ASCII digits only: "²" or "１" name no risk
        row = s.get(Risk, number) if number else None
        if row is None or row.kind != "risk":
            return i18n.t(locale, "risk.not_found", text=text[:20])
        before = row.reviewed_at.isoformat() if row.reviewed_at else None
        row.reviewed_at, row.reviewed_by = now, user_id
        s.add(AuditEvent(at=now, actor=user_id, action="risk_reviewed", note=f"risk:{row.id}",
                         before={"reviewed_at": before}, after={"reviewed_at": now.isoformat()}))
        return i18n.t(locale, "risk.reviewed", n=row.id, when=fmt_time(now, ctx.org.tz))


def counts(s) -> dict[tuple[str, str], int]:
    """(likelihood, impact) → how many risks of the register sit in that cell."""
    return {(li, im): n for li, im, n in s.execute(
        select(Risk.likelihood, Risk.impact, func.count()).where(Risk.kind == "risk")
        .group_by(Risk.likelihood, Risk.impact)).all()}


def register_message(ctx, user_id: str, locale: str) -> tuple[str, list[dict]]:
    """The register by level, the 3×3 matrix with counts, this week's observations: only to the asker."""
    org, pol = ctx.org, ctx.org.policy.rectification
    now = ctx.clock.now()
    with read_scope(ctx.engine) as s:
        cells = counts(s)
        risks = s.execute(select(Risk).where(Risk.kind == "risk").order_by(Risk.id)).scalars().all()
        observed = s.execute(select(func.count()).where(Risk.kind == "observation",
                                                        Risk.created_at >= now - WEEK)).scalar()
        latest = s.execute(select(Risk).where(Risk.kind == "observation").order_by(Risk.created_at.desc(), Risk.id.desc())
                           .limit(OBSERVATIONS_SCAN)).scalars().all()
    impacts = list(pol.impact)
    grid = [[""] + [short(pol.impact[im].get(locale)) for im in impacts]]
    for li in pol.likelihood:
        grid.append([short(pol.likelihood[li].get(locale))]
                    + [f"{cells.get((li, im), 0)}·{short(pol.levels[pol.risk(li, im)].get(locale))}" for im in impacts])
    width = max(i18n.display_width(c) for row in grid for c in row) + 2  # CJK is two columns wide in Slack's code
    rows = ["".join(c + " " * (width - i18n.display_width(c)) for c in row).rstrip() for row in grid]
    levels = []
    for level in pol.levels:
        mine = [r for r in risks if r.level == level]
        lines = [i18n.t(locale, "risk.line", n=r.id, text=mask(r.description)[:TEXT_IN_LIST],
                        note=mask(r.controls)[:TEXT_IN_LIST] or "—", who=mention(r.owner),
                        when=fmt_time(r.reviewed_at, org.tz) if r.reviewed_at else i18n.tp(locale, "risk.never"))
                 for r in mine[:LINES_PER_LEVEL]]
        if len(mine) > LINES_PER_LEVEL:
            lines.append(i18n.t(locale, "timeline.more", n=len(mine) - LINES_PER_LEVEL))
        levels.append({"title": i18n.t(locale, "risk.level_title", risk=pol.levels[level].get(locale), n=len(mine)),
                       "lines": "\n".join(lines) or i18n.tp(locale, "risk.none")})
    title = i18n.tp(locale, "risk.title", n=len(risks))
    header = i18n.t(locale, "risk.header", n=observed, who=mention(user_id))
    blocks = render("risk_register", locale, title=title, header=header,
                    matrix=i18n.Mrkdwn("```\n" + i18n.escape_mrkdwn("\n".join(rows)) + "\n```"), levels=levels,
                    observations=observations_by_team(ctx, latest, locale))
    return title, blocks


def observations_by_team(ctx, latest: list, locale: str) -> list[dict]:
    """#21 §4.1.1: the latest observations (风险观察表), by team, each with who filed it, when and where."""
    teams: dict[str, list] = {}
    for r in latest:
        teams.setdefault(r.team or "—", [])
        if len(teams[r.team or "—"]) < OBSERVATIONS_PER_TEAM:
            teams[r.team or "—"].append(r)
    order = [t.name for t in ctx.org.teams] + ["—"]
    out = []
    for team in sorted(teams, key=lambda t: order.index(t) if t in order else len(order)):
        lines = [i18n.t(locale, "risks.observation_line", n=r.id, when=fmt_time(r.created_at, ctx.org.tz),
                        who=mention(r.created_by), text=mask(r.description)[:TEXT_IN_LIST],
                        where=mask(r.controls)[:TEXT_IN_LIST] or "—") for r in teams[team]]
        out.append({"title": i18n.t(locale, "risks.observations_title", team=team, n=len(lines)), "lines": "\n".join(lines)})
    return out


def review_payloads(ctx, scheduled_for: dt.datetime, session) -> list[dict]:
    """The quarterly review reminder (§4.1): to the leadership group's people and channel."""
    org, review_ = ctx.org, ctx.org.policy.rectification.review
    total = session.execute(select(func.count()).where(Risk.kind == "risk")).scalar()
    last = session.execute(select(func.max(JobRun.scheduled_for)).where(
        JobRun.job == "risk_review", JobRun.scheduled_for < scheduled_for)).scalar()
    not_since = Risk.reviewed_at.is_(None) if last is None else (Risk.reviewed_at.is_(None)) | (Risk.reviewed_at < last)
    stale = session.execute(select(func.count()).where(Risk.kind == "risk", not_since)).scalar()  # since the last reminder
    people = [t for t in review_.notify if not t.endswith("_channel")]
    out = [{"channel": user, "text": i18n.t(org.locale, "risk.review_reminder", n=total, max=stale)}
           for user in ctx.directory.resolve_people(people, None, None)]
    out += [{"channel": channel, "text": i18n.t(org.locale, "risk.review_reminder", n=total, max=stale)}
            for channel in ctx.directory.resolve_channels(list(review_.notify), None)]
    return out
