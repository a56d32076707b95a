"""`safeshift export rectifications|risks|hazards --format csv|xlsx [--from --to]`: tables for audits, with
every date and actor, headers in the organisation's language and dates in its time zone.

Rows are chosen by when they began (an item's assessment, a risk's entry, a hazard's report), from the
start of `--from` to the end of `--to`, both days in the organisation's zone (`span_problem` names an option
whose day cannot be a moment there, e.g. 0001-01-01 east of Greenwich). User text is masked as on Slack. In
the CSV a cell that a spreadsheet would read as a formula is quoted with an apostrophe; in the XLSX every text
is a string cell (an inline string, bot/rectification/xlsx.py): it reads as typed and is never a formula. Rows are
read in batches and written as they are read (issue 26): memory stays flat whatever the span.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot import i18n
from bot.hazards.kinds import kind
from bot.masking import mask
from bot.rectification import xlsx
from storage.db import read_scope
from storage.models import RectItem, Report, Risk

TABLES = ("rectifications", "risks", "hazards")
FORMATS = ("csv", "xlsx")
DATE_FORMAT = "yyyy-mm-dd hh:mm"  # how the spreadsheet shows a moment (the CSV writes the same, as text)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts so: quote it

COLUMNS = {
    "rectifications": ("number", "category", "location", "team", "risk", "likelihood", "impact", "state",
                       "accountable", "assigned", "assessed_at", "assessed_by", "plan_version", "approved_at",
                       "approved_by", "first_due_at", "due_at", "extensions", "completed_at", "completed_by",
                       "verified_at", "verified_by", "closed_at", "hours_to_close", "was_overdue", "flagged",
                       "recurring_of", "supervised"),
    "risks": ("number", "kind", "description", "likelihood", "impact", "level", "controls", "owner", "team",
              "created_at", "created_by", "reviewed_at", "reviewed_by"),
    "hazards": ("number", "level", "category", "location", "description", "reporter", "team", "status",
                "reported_at", "respond_due_at", "acknowledged_at", "acknowledged_by", "resolve_due_at",
                "resolved_at", "resolved_by", "overdue"),
}


def span_problem(org, start: dt.date | None, end: dt.date | None) -> str | None:
    """One line naming the option whose day cannot be exported (it is no moment in the organisation's zone),
    or None. `span` may then be called."""
    for option, day, after in (("--from", start, 0), ("--to", end, 1)):
        if day is None:
            continue
        try:
            span(org, day, None) if after == 0 else span(org, None, day)  # exactly what the export computes
        except (OverflowError, ValueError):
            return f"{option} {day.isoformat()}: too close to the ends of the calendar, give a day between " \
                   f"{dt.date.min.year + 1}-01-01 and {dt.date.max.year - 1}-12-31"
    if start and end and start > end:
        return f"--from {start.isoformat()} is after --to {end.isoformat()}"
    return None


def span(org, start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start of `start`, start of the day after `end`) in the organisation's zone, in UTC."""
    def at(day):
        return dt.datetime.combine(day, dt.time(), tzinfo=org.tz).astimezone(dt.timezone.utc) if day else None

    return at(start), at(end + dt.timedelta(days=1) if end else None)


BATCH = 2000  # rows fetched at a time (a server-side cursor on PostgreSQL): memory stays flat whatever the span


@contextlib.contextmanager
def _reading(engine):
    """A read for a long export: on PostgreSQL one transaction (a server-side cursor lives in one, and the export
    sees one snapshot); on SQLite the lock-free read scope."""
    if engine.dialect.name == "postgresql":
        with Session(engine) as s:
            yield s
    else:
        with read_scope(engine) as s:
            yield s


def rows(ctx, table: str, start: dt.date | None = None, end: dt.date | None = None) -> tuple[list[str], list[list]]:
    """(headers in the organisation's language, rows of values: aware moments, numbers, booleans, text)."""
    headers, stream = streamed(ctx, table, start, end)
    with stream as data:
        return headers, list(data)


def streamed(ctx, table: str, start: dt.date | None = None, end: dt.date | None = None):
    """(headers, a context manager giving the rows as they are read, `BATCH` at a time)."""
    headers = [i18n.tp(ctx.org.locale, f"export.{table}_{c}") for c in COLUMNS[table]]
    return headers, _reader(ctx, table, start, end)


@contextlib.contextmanager
def _reader(ctx, table, start, end):
    with _reading(ctx.engine) as s:
        yield _rows(ctx, s, table, start, end)


def _rows(ctx, s, table: str, start, end) -> Iterator[list]:
    org, locale = ctx.org, ctx.org.locale
    since, until = span(org, start, end)
    yes_no = {v: i18n.tp(locale, "export.yes" if v else "export.no") for v in (True, False)}
    yes = lambda v: yes_no[bool(v)]  # noqa: E731
    pol = org.policy.rectification
    word = lambda section, key: getattr(pol, section)[key].get(locale) if key else ""  # noqa: E731
    hz = kind(org, "hazard")
    per_batch = {"yield_per": BATCH}
    if table == "rectifications":
        earlier = aliased(Report)
        q = select(RectItem, Report, earlier.number).join(Report, Report.id == RectItem.report_id) \
            .outerjoin(earlier, earlier.id == RectItem.recurring_of)
        q = _between(q, RectItem.created_at, since, until).order_by(RectItem.created_at, RectItem.id)
        for it, rep, earlier_number in s.execute(q.execution_options(**per_batch)):
            hours = round((it.closed_at - rep.reported_at).total_seconds() / 3600, 1) if it.closed_at else None
            yield [rep.number, hz.category_name(rep.category, locale), mask(rep.location), it.team or "",
                   word("levels", it.risk), word("likelihood", it.likelihood), word("impact", it.impact),
                   i18n.tp(locale, f"rectification.state_{it.state}"), it.accountable, it.assigned,
                   it.created_at, it.created_by, it.plan_version, it.approved_at, it.approved_by or "",
                   it.first_due_at, it.due_at, it.extensions, it.completed_at, it.completed_by or "",
                   it.verified_at, it.verified_by or "", it.closed_at, hours, yes(it.was_overdue),
                   yes(it.flagged), earlier_number or "", yes(it.supervised)]
            s.expunge(it)
            s.expunge(rep)
    elif table == "risks":
        q = _between(select(Risk), Risk.created_at, since, until).order_by(Risk.id)
        for r in s.execute(q.execution_options(**per_batch)).scalars():
            yield [f"#{r.id}", i18n.tp(locale, f"export.kind_{r.kind}"), mask(r.description),
                   word("likelihood", r.likelihood), word("impact", r.impact), word("levels", r.level),
                   mask(r.controls), r.owner or "", r.team or "", r.created_at, r.created_by,
                   r.reviewed_at, r.reviewed_by or ""]
            s.expunge(r)
    else:
        # The columns alone (no report objects): a year of hazards is read at the speed of the driver.
        q = _between(select(Report.number, Report.level, Report.category, Report.location, Report.description,
                            Report.reporter_id, Report.team, Report.status, Report.reported_at,
                            Report.respond_due_at, Report.acknowledged_at, Report.acknowledged_by,
                            Report.resolve_due_at, Report.resolved_at, Report.resolved_by, Report.overdue)
                     .where(Report.kind == "hazard"), Report.reported_at, since, until) \
            .order_by(Report.reported_at, Report.id)
        levels, categories, statuses = {}, {}, {}
        for (number, level, category, location, description, reporter, team, status, reported, respond_due,
             acked, acked_by, resolve_due, resolved, resolved_by, overdue) in s.execute(q.execution_options(**per_batch)):
            if level not in levels:
                levels[level] = hz.level_name(level, locale)
            if category not in categories:
                categories[category] = hz.category_name(category, locale)
            if status not in statuses:
                statuses[status] = i18n.tp(locale, f"status.{status}")
            yield [number, levels[level], categories[category], mask(location), mask(description), reporter,
                   team or "", statuses[status], reported, respond_due, acked, acked_by or "", resolve_due, resolved,
                   resolved_by or "", yes(overdue)]


def _between(q, column, since, until):
    if since is not None:
        q = q.where(column >= since)
    if until is not None:
        q = q.where(column < until)
    return q


def write(ctx, table: str, fmt: str, out, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Write the table to the binary stream `out` as its rows are read; returns the number of rows."""
    headers, stream = streamed(ctx, table, start, end)
    with stream as data:
        return write_sheet(ctx, i18n.tp(ctx.org.locale, f"export.sheet_{table}"), headers, data, fmt, out)


def write_sheet(ctx, sheet: str, headers: list[str], data, fmt: str, out) -> int:
    """Write a sheet (rows as read, any iterable; another kind's rows too: `safeshift export checks`, #21) as CSV
    or XLSX to `out`; returns the number of rows."""
    if fmt != "csv":
        return xlsx.write(out, sheet, headers, data, ctx.org.tz, DATE_FORMAT)
    tz = ctx.org.tz
    # The BOM tells spreadsheets it is UTF-8 (Chinese); written as read, through a buffer of the text layer.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        w = csv.writer(text)
        w.writerow(headers)
        n = 0
        for row in data:
            w.writerow([_csv_value(v, tz) for v in row])
            n += 1
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    return n


def _csv_value(v, tz):
    if v is None:
        return ""
    if isinstance(v, str):
        return "'" + v if v.startswith(FORMULA_START) else v
    if isinstance(v, dt.datetime):
        return v.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return v
