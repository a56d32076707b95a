"""The monthly safety report (#22; §3.2.3, §4.3.2, §6.2.1): every indicator against its target and the month
before (green / red), time to acknowledge and resolve by level, hazards by category and level, per team the
pre-shift completion, the rectification items overdue at the month's end and the supervisors flagged. To the
leadership channel, and each team's own line to its channel. The same as Markdown, CSV and XLSX offline.

Posting a month again (`--post`, a corrected month) edits the messages already posted (`chat.update` of the stored
message, through the outbox's `target_key`): one message per month and channel, never two. Each post of a month is
claimed in `job_run` (job `indicators_post`, the month's first moment) in the transaction that queues it, so two
posts of a month queue one after the other; while the month's charts are being uploaded (their files not yet known,
so not yet deletable) another post queues nothing (`StillSending`): one set of charts in the thread, never two.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import case, delete, select, update

from bot import i18n
from bot.hazards.kinds import kind
from bot.indicators import compute as C
from bot.indicators import extras as X
from bot.outbox import BULK, enqueue
from bot.outbox_files import UPLOAD
from storage.db import insert_or_ignore
from storage.models import JobRun, OutboxMessage, RectItem, Report, SlackFile, SlackMessage

POST_JOB = "indicators_post"  # job_run: the latest post of a month (scheduled_for: the month's first moment)
PROGRESS_MAX = 40  # items listed one by one in the report (the counts per team cover the rest)
GREEN, RED, NEUTRAL = ":large_green_circle:", ":red_circle:", ":white_circle:"


def fmt(locale: str, f: C.Figure | None, value=None) -> str:
    """A figure's value as words: 98.5%, 21.7 min, 3; "missing" and "nothing to count" spelled out."""
    if f is None:
        return "—"
    v = f.value if value is None else value
    if value is None and f.state != "ok":
        return i18n.tp(locale, f"indicators.state_{f.state}")
    return i18n.tp(locale, f"indicators.unit_{ {'%': 'pct', 'min': 'min', 'n': 'n', 'per10k': 'per10k'}[f.unit]}",
                   n=f"{v:g}")


def rows(ctx, cur: C.Month, prev: C.Month, locale: str) -> list[dict]:
    """One row per indicator: name, value, target, previous month, met (True / False / None)."""
    out = []
    for key in C.ORDER:
        f, p = cur.figures[key], prev.figures.get(key)
        out.append(dict(key=key, name=i18n.tp(locale, f"indicators.name.{key}"), value=fmt(locale, f),
                        target=fmt(locale, f, f.target) if f.target is not None else "—",
                        previous=fmt(locale, p), met=f.met(), raw=f.value, target_raw=f.target, state=f.state, num=f.num, den=f.den))
    return out


def team_lines(ctx, cur: C.Month, locale: str) -> dict[str, str]:
    out = {}
    for team, t in cur.teams.items():
        pre = t["pre_shift"]
        pre_words = (i18n.tp(locale, "indicators.unit_pct", n=f"{100.0 * pre[0] / pre[1]:.1f}".rstrip("0").rstrip("."))
                     if pre and pre[1] else i18n.tp(locale, "indicators.no_shifts" if not t["shifts"] else
                                                    "indicators.state_none"))
        out[team] = i18n.tp(locale, "indicators.team_line", team=team, what=pre_words, overdue=t["overdue"],
                            n=t["flagged"])
    return out


def level_lines(ctx, cur: C.Month, locale: str) -> list[str]:
    k = kind(ctx.org)
    none = i18n.tp(locale, "indicators.state_none")
    unit = lambda v: none if v is None else i18n.tp(locale, "indicators.unit_min", n=f"{v:g}")  # noqa: E731
    return [i18n.tp(locale, "indicators.level_line", level=k.level_name(lvl, locale), n=d["n"],
                    what=unit(d["ack_min"]), target=unit(d["res_min"]))
            for lvl, d in sorted(cur.by_level.items())]


def category_lines(ctx, cur: C.Month, locale: str) -> list[str]:
    k = kind(ctx.org)
    return [i18n.tp(locale, "indicators.category_line", category=k.category_name(cat, locale),
                    level=k.level_name(lvl, locale), n=n)
            for (cat, lvl), n in sorted(cur.by_category.items(), key=lambda x: (-x[1], x[0]))]


def weighting_lines(ctx, locale: str) -> list[str]:
    """§6.2.1 what each role is judged on (policy `indicators.weighting`)."""
    return [i18n.tp(locale, "indicators.weighting_line", name=i18n.tp(locale, f"indicators.role.{role}"),
                    what=i18n.join_list(locale, [i18n.tp(locale, f"indicators.name.{k}") for k in keys], "and"))
            for role, keys in ctx.org.policy.indicators.weighting.items() if keys]


def progress(ctx, s, cur: C.Month, locale: str) -> dict[str | None, list[str]]:
    """§4.3.2 the rectification progress list published monthly: the items still open at the month's end (the
    overdue first, then by deadline), per team, at most PROGRESS_MAX in all."""
    tz = ctx.org.tz
    out: dict[str | None, list[str]] = {}
    open_at_end = (RectItem.closed_at.is_(None)) | (RectItem.closed_at >= cur.end)
    overdue = RectItem.due_at.is_not(None) & (RectItem.due_at < cur.end)
    for number, team, state, due, late in s.execute(
            select(Report.number, RectItem.team, RectItem.state, RectItem.due_at, overdue)
            .join(Report, Report.id == RectItem.report_id)
            .where(RectItem.created_at < cur.end, open_at_end)
            .order_by(case((overdue, 0), else_=1), case((RectItem.due_at.is_(None), 1), else_=0), RectItem.due_at,
                      RectItem.id)
            .limit(PROGRESS_MAX)).all():
        state_words = i18n.tp(locale, f"rectification.state_{state}") if state != "closed" else \
            i18n.tp(locale, "indicators.closed_after")
        out.setdefault(team, []).append(i18n.tp(
            locale, "indicators.progress_line", number=number, status=state_words,
            date=due.astimezone(tz).strftime("%Y-%m-%d") if due else "—", late=bool(late)))
    return out


def build(ctx, s, month: str) -> dict:
    locale = ctx.org.locale
    cur, prev = C.compute(ctx, s, month), C.compute(ctx, s, C.previous_month(month), light=True)
    r = dict(month=month, current=cur, rows=rows(ctx, cur, prev, locale), teams=team_lines(ctx, cur, locale),
             levels=level_lines(ctx, cur, locale), categories=category_lines(ctx, cur, locale),
             progress=progress(ctx, s, cur, locale), weighting=weighting_lines(ctx, locale),
             stale=X.stale(ctx, s, month, locale), suggestions=X.suggestions(s, month), appraisal=X.appraisal(ctx, s, month))
    r["scores"] = X.team_score_lines(ctx, r, locale)
    return r


def extra_parts(r: dict, locale: str) -> tuple:
    """(block id, title key, lines) of the leadership's report after the rectification progress."""
    return (("suggestions", "indicators.suggestions_title", [X.suggestion_line(r, locale)]),
            ("appraisal", "indicators.scores_title", r["scores"]),
            ("plans", "indicators.stale_title", r["stale"]))


# --------------------------------------------------------------------------- Slack
def blocks(ctx, r: dict) -> tuple[str, list[dict]]:
    locale = ctx.org.locale
    e = i18n.escape_mrkdwn
    title = i18n.tp(locale, "indicators.title", month=r["month"])
    lines = [f"{GREEN if x['met'] else RED if x['met'] is False else NEUTRAL} " + i18n.t(
        locale, "indicators.line", name=x["name"], what=x["value"], target=x["target"], first=x["previous"])
        for x in r["rows"]]
    out = [{"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
           {"type": "section", "block_id": "figures", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}}]
    for block_id, head, body in (("levels", "indicators.levels_title", r["levels"]),
                                 ("categories", "indicators.categories_title", r["categories"]),
                                 ("teams", "indicators.teams_title", list(r["teams"].values())),
                                 ("progress", "indicators.progress_title",
                                  [x for lines in r["progress"].values() for x in lines])) + extra_parts(r, locale) + (
                                 ("weighting", "indicators.weighting_title", r["weighting"]),):
        if body:
            text = f"*{e(i18n.tp(locale, head))}*\n" + "\n".join("• " + e(x) for x in body[:30])
            out.append({"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text[:3000]}})
    if any(x["state"] == "missing" for x in r["rows"]):
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": i18n.t(locale, "indicators.missing_hint")}]})
    return i18n.tp(locale, "indicators.fallback", month=r["month"]), out


def _posted_before(s, key: str) -> bool:
    return s.get(SlackMessage, key) is not None or s.execute(select(OutboxMessage.id).where(
        OutboxMessage.message_key == key).limit(1)).first() is not None


def _send(s, now, key: str, payload: dict) -> bool:
    """Post under `key`, or edit what was posted under it. True: it was a first post."""
    first = not _posted_before(s, key)
    if first:
        enqueue(s, now, "chat.postMessage", payload, ordering_key=key, message_key=key, priority=BULK)
    else:
        enqueue(s, now, "chat.update", payload, ordering_key=key, target_key=key, priority=BULK)
    return first


def prepare(ctx, month: str, *, charts: bool | None = None) -> dict:
    """The month's report and its charts, read and drawn outside any write transaction (`read_scope`: no lock held
    while matplotlib draws)."""
    from storage.db import read_scope

    with read_scope(ctx.engine) as s:
        r = build(ctx, s, month)
    files = []
    if ctx.org.policy.indicators.report.charts if charts is None else charts:
        from bot.indicators import charts as ch

        files = ch.encoded(ch.render_all(ctx, r))
    return {"report": r, "files": files}


class StillSending(Exception):
    """The month's charts of an earlier post are being uploaded right now: this post queued nothing."""


def claim_post(ctx, s, month: str, now) -> None:
    """The month's post, claimed first in the caller's transaction (bot/jobs.py's pattern: a `job_run` row): its row
    is inserted, or taken over when the month was posted before. The row's lock (PostgreSQL; on SQLite the write
    lock taken at BEGIN) holds another post of the month until this transaction ends, so that one then sees what
    this one queued."""
    year, mon = (int(x) for x in month.split("-"))
    key = dt.datetime(year, mon, 1, tzinfo=ctx.org.tz).astimezone(dt.timezone.utc)
    from bot.jobs import RUNNER

    row = dict(job=POST_JOB, scheduled_for=key, started_at=now, finished_at=now, runner=RUNNER)
    conn = s.connection()
    if not insert_or_ignore(conn, JobRun.__table__, row):
        table = JobRun.__table__
        conn.execute(table.update().where(table.c.job == POST_JOB, table.c.scheduled_for == key)
                     .values(started_at=now, finished_at=now, runner=RUNNER))


def queue(ctx, s, prepared: dict, now) -> bool:
    """Queue the prepared report (leadership channel), each team's part (its channel) and the charts (the report's
    thread) in the caller's transaction, claimed first (`claim_post`). A month posted before is edited in place (each
    message), and the charts of the corrected figures replace the earlier ones in the same thread. True: a first
    post. `StillSending` (the caller's transaction rolls back): the earlier charts are being uploaded right now."""
    org, r = ctx.org, prepared["report"]
    month = r["month"]
    claim_post(ctx, s, month, now)
    text, bl = blocks(ctx, r)
    key = f"indicators:{month}"
    channel = org.channels.leadership or org.channels.safety
    first = _send(s, now, key, {"channel": channel, "text": text, "blocks": bl, "unfurl_links": False})
    for team in org.teams:
        if team.channel and team.name in r["teams"]:
            line = "\n".join(i18n.escape_mrkdwn(x) for x in [r["teams"][team.name]] + [
                "• " + p for p in r["progress"].get(team.name, [])])
            _send(s, now, f"{key}:{team.name}"[:128], {"channel": team.channel, "text": line[:3000], "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{i18n.escape_mrkdwn(text)}*\n{line}"[:3000]}}]})
    if prepared["files"]:  # a month posted again: its old charts are deleted, never a second set in the thread
        replace_files(s, now, f"{key}:charts", {"channel": channel, "files": prepared["files"], "initial_comment": i18n.tp(
            org.locale, "indicators.charts_comment", month=month)}, ordering_key=key, target_key=key, priority=BULK)
    return first


def replace_files(session, now, key: str, payload: dict, *, ordering_key: str, target_key: str | None,
                  priority: int) -> None:
    """Queue the charts' upload under `key`, replacing the files uploaded under it before (the sender keeps their
    ids: bot/outbox_files.py `uploaded_files`): an earlier upload still waiting is dropped (`superseded`), the files
    already in Slack are deleted (files.delete, in order before the new upload), so the thread keeps one set. One
    being uploaded right now: `StillSending`, nothing queued (the caller's transaction rolls back)."""
    ours = (OutboxMessage.method == UPLOAD) & (OutboxMessage.message_key == key)
    taken = (OutboxMessage.status == "sending") & (OutboxMessage.lease_until >= now)  # a live sender has it
    session.execute(update(OutboxMessage).where(ours, (OutboxMessage.status.in_(("pending", "sending"))) & ~taken)
                    .values(status="superseded"))  # waiting, or left by a sender that died (its lease is over)
    # An upload a live sender has taken (checked after the update: one it claimed meanwhile is seen here): its files
    # reach Slack, and become known, only once it is done. A second set queued now would stay beside them.
    if session.execute(select(OutboxMessage.id).where(ours, taken).limit(1)).first() is not None:
        raise StillSending(f"{key}: an earlier post's files are being uploaded right now; nothing was queued. "
                           "Post it again once that one is delivered.")
    for (file_id,) in session.execute(select(SlackFile.file_id).where(SlackFile.key == key).order_by(
            SlackFile.file_id)).all():
        enqueue(session, now, "files.delete", {"file": file_id}, ordering_key=ordering_key, priority=priority)
    session.execute(delete(SlackFile).where(SlackFile.key == key))
    enqueue(session, now, UPLOAD, payload, ordering_key=ordering_key, message_key=key, target_key=target_key,
            priority=priority)


def post(ctx, month: str, *, charts: bool | None = None) -> bool:
    """Prepare the month's report, then queue it in one short transaction. True: a first post; `StillSending`:
    nothing was queued (the month's earlier charts are being uploaded right now)."""
    from storage.db import session_scope

    prepared = prepare(ctx, month, charts=charts)
    with session_scope(ctx.engine) as s:
        first = queue(ctx, s, prepared, ctx.clock.now())
    ctx.wake()
    return first


# --------------------------------------------------------------------------- offline
def markdown(ctx, r: dict) -> str:
    locale = ctx.org.locale
    head = [i18n.tp(locale, f"indicators.col_{c}") for c in ("name", "value", "target", "previous", "met")]
    out = [f"# {i18n.tp(locale, 'indicators.title', month=r['month'])}", "", "| " + " | ".join(head) + " |",
           "|" + "---|" * len(head)]
    for x in r["rows"]:
        met = "✅" if x["met"] else "❌" if x["met"] is False else ""
        out.append(f"| {x['name']} | {x['value']} | {x['target']} | {x['previous']} | {met} |")
    for head_key, body in (("indicators.levels_title", r["levels"]), ("indicators.categories_title", r["categories"]),
                           ("indicators.teams_title", list(r["teams"].values())),
                           ("indicators.progress_title", [x for lines in r["progress"].values() for x in lines])) + \
            tuple(x[1:] for x in extra_parts(r, locale)) + (("indicators.weighting_title", r["weighting"]),):
        out += ["", f"## {i18n.tp(locale, head_key)}", ""] + [f"- {x}" for x in body]
    return "\n".join(out) + "\n"


def table(r: dict) -> list[list]:
    out = [["month", "indicator", "value", "state", "numerator", "denominator", "target", "previous", "met"]]
    for x in r["rows"]:
        out.append([r["month"], x["key"], "" if x["raw"] is None else x["raw"], x["state"],
                    "" if x["num"] is None else x["num"], "" if x["den"] is None else x["den"],
                    "" if x["target_raw"] is None else x["target_raw"], x["previous"], "" if x["met"] is None else ("yes" if x["met"] else "no")])
    for key in ("received", "adopted"):  # §3.5.3 the suggestions received and adopted in the month
        out.append([r["month"], f"suggestions_{key}", r["suggestions"][key], "ok", "", "", "", "", ""])
    return out


def csv_text(r: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    for row in table(r):  # a cell that a spreadsheet would run as a formula is quoted with '
        w.writerow([f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    return buf.getvalue()


def xlsx_bytes(ctx, r: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = r["month"]
    for row in table(r):
        ws.append(row)
    for title, body in (("levels", r["levels"]), ("categories", r["categories"]), ("teams", list(r["teams"].values()))):
        sheet = wb.create_sheet(title)
        for line in body:
            sheet.append([line])
    for title, body in X.xlsx_sheets(ctx, r):
        sheet = wb.create_sheet(title)
        for row in body:
            sheet.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

