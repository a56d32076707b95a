"""`safeshift export rectifications|risks|hazards --format csv|xlsx [--from --to]`: tables for audits, with
every date and actor, headers in the organisation's language and dates in its time zone.

Rows are chosen by when they began (an item's assessment, a risk's entry, a hazard's report), from the
start of `--from` to the end of `--to`, both days in the organisation's zone (`span_problem` names an option
whose day cannot be a moment there, e.g. 0001-01-01 east of Greenwich). User text is masked as on Slack. In
the CSV a cell that a spreadsheet would read as a formula is quoted with an apostrophe; in the XLSX every text
is a string cell (openpyxl data type "s"): it reads as typed and is never a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot import i18n
from bot.hazards.kinds import kind
from bot.masking import mask
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


def rows(ctx, table: str, start: dt.date | None = None, end: dt.date | None = None) -> tuple[list[str], list[list]]:
    """(headers in the organisation's language, rows of values: aware moments, numbers, booleans, text)."""
    org, locale = ctx.org, ctx.org.locale
    since, until = span(org, start, end)
    yes = lambda v: i18n.tp(locale, "export.yes" if v else "export.no")  # noqa: E731
    pol = org.policy.rectification
    word = lambda section, key: getattr(pol, section)[key].get(locale) if key else ""  # noqa: E731
    hz = kind(org, "hazard")
    out: list[list] = []
    with read_scope(ctx.engine) as s:
        if table == "rectifications":
            earlier = aliased(Report)
            q = select(RectItem, Report, earlier.number).join(Report, Report.id == RectItem.report_id) \
                .outerjoin(earlier, earlier.id == RectItem.recurring_of)
            q = _between(q, RectItem.created_at, since, until).order_by(RectItem.created_at, RectItem.id)
            for it, rep, earlier_number in s.execute(q).all():
                hours = round((it.closed_at - rep.reported_at).total_seconds() / 3600, 1) if it.closed_at else None
                out.append([rep.number, hz.category_name(rep.category, locale), mask(rep.location), it.team or "",
                            word("levels", it.risk), word("likelihood", it.likelihood), word("impact", it.impact),
                            i18n.tp(locale, f"rectification.state_{it.state}"), it.accountable, it.assigned,
                            it.created_at, it.created_by, it.plan_version, it.approved_at, it.approved_by or "",
                            it.first_due_at, it.due_at, it.extensions, it.completed_at, it.completed_by or "",
                            it.verified_at, it.verified_by or "", it.closed_at, hours, yes(it.was_overdue),
                            yes(it.flagged), earlier_number or "", yes(it.supervised)])
        elif table == "risks":
            q = _between(select(Risk), Risk.created_at, since, until).order_by(Risk.id)
            for r in s.execute(q).scalars():
                out.append([f"#{r.id}", i18n.tp(locale, f"export.kind_{r.kind}"), mask(r.description),
                            word("likelihood", r.likelihood), word("impact", r.impact), word("levels", r.level),
                            mask(r.controls), r.owner or "", r.team or "", r.created_at, r.created_by,
                            r.reviewed_at, r.reviewed_by or ""])
        else:
            q = _between(select(Report).where(Report.kind == "hazard"), Report.reported_at, since, until) \
                .order_by(Report.reported_at, Report.id)
            for r in s.execute(q).scalars():
                out.append([r.number, hz.level_name(r.level, locale), hz.category_name(r.category, locale),
                            mask(r.location), mask(r.description), r.reporter_id, r.team or "",
                            i18n.tp(locale, f"status.{r.status}"), r.reported_at, r.respond_due_at,
                            r.acknowledged_at, r.acknowledged_by or "", r.resolve_due_at, r.resolved_at,
                            r.resolved_by or "", yes(r.overdue)])
    headers = [i18n.tp(locale, f"export.{table}_{c}") for c in COLUMNS[table]]
    return headers, out


def _between(q, column, since, until):
    if since is not None:
        q = q.where(column >= since)
    if until is not None:
        q = q.where(column < until)
    return q


def _cell(value, tz, quote: bool = True):
    """A value as a cell: a moment in the organisation's zone, naive; a formula-looking text quoted (`quote`)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(tzinfo=None)
    if quote and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write(ctx, table: str, fmt: str, out, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Write the table to the binary stream `out`; returns the number of rows."""
    headers, data = rows(ctx, table, start, end)
    return write_sheet(ctx, i18n.tp(ctx.org.locale, f"export.sheet_{table}"), headers, data, fmt, out)


def write_sheet(ctx, sheet: str, headers: list[str], data: list[list], fmt: str, out) -> int:
    """Write a sheet (another kind's rows too: `safeshift export checks`, #21) as CSV or XLSX to `out`."""
    tz = ctx.org.tz
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text)
        w.writerow(headers)
        for row in data:
            w.writerow(["" if v is None else (v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v)
                        for v in (_cell(v, tz) for v in row)])
        out.write(text.getvalue().encode("utf-8-sig"))  # the BOM tells spreadsheets it is UTF-8 (Chinese)
        return len(data)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(headers)
    for row in data:
        ws.append([_cell(v, tz, quote=False) for v in row])
    for column in ws.iter_cols(min_row=2):
        for c in column:
            if isinstance(c.value, dt.datetime):
                c.number_format = DATE_FORMAT
            elif isinstance(c.value, str):
                c.data_type = "s"  # openpyxl takes a text starting with "=" for a formula: it is what was typed
    ws.freeze_panes = "A2"
    wb.save(out)
    return len(data)
