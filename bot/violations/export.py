"""The violations ledger as a table (#24; §3.6.2): `safeshift export violations --format csv|xlsx [--from --to]`
(the operator, on the server) and `/violation export [csv|xlsx]` (the ledger's group only, `permissions.violations`:
the file goes to the asker's direct messages, nowhere else; anyone else gets the ledger's refusal, which says
nothing about what it holds).

Entries are chosen by the day the violation occurred, `--from` to `--to` inclusive. Typed text was masked on the
way in; in the CSV a cell that a spreadsheet would read as a formula is quoted with an apostrophe, in the XLSX
every text is a string cell.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io

from sqlalchemy import func, select

from bot import i18n
from bot.files_later import upload_to_dm_after_answer
from bot.violations import ledger
from storage.db import read_scope
from storage.models import AuditEvent, Violation

COLUMNS = ("id", "person", "occurred_on", "what", "evidence", "linked", "caused_accident", "step", "count",
           "recorded_by", "recorded_at", "action", "action_owner", "action_due", "appeal_status", "appealed_at",
           "appeal_decided_by", "appeal_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(ctx, start: dt.date | None = None, end: dt.date | None = None) -> list[list]:
    q = select(Violation).order_by(Violation.occurred_on, Violation.id)
    if start is not None:
        q = q.where(Violation.occurred_on >= start)
    if end is not None:
        q = q.where(Violation.occurred_on <= end)
    tz = ctx.org.tz
    with read_scope(ctx.engine) as s:
        return [[v.id, v.person_id, v.occurred_on, v.what, v.evidence, v.linked, v.caused_accident, v.step, v.count,
                 v.recorded_by, v.recorded_at.astimezone(tz).replace(tzinfo=None), v.action, v.action_owner,
                 v.action_due, v.appeal_status, v.appealed_at.astimezone(tz).replace(tzinfo=None)
                 if v.appealed_at else None, v.appeal_decided_by, v.appeal_note] for v in s.execute(q).scalars()]


def render(ctx, fmt: str, start: dt.date | None = None, end: dt.date | None = None) -> tuple[bytes, int]:
    """The ledger as the bytes of a CSV (UTF-8 with a BOM) or an XLSX file, and its number of entries."""
    data = rows(ctx, start, end)
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text)
        w.writerow(COLUMNS)
        for row in data:
            w.writerow(["" if v is None else ("'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
                        for v in row])
        return text.getvalue().encode("utf-8-sig"), len(data)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "violations"
    ws.append(COLUMNS)
    for row in data:
        ws.append(row)
    for column in ws.iter_cols(min_row=2):
        for c in column:
            if isinstance(c.value, str):
                c.data_type = "s"  # what was typed, never a formula
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), len(data)


def write(ctx, table: str, fmt: str, out, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """`safeshift export violations`: the ledger to the binary stream `out`; its number of entries."""
    data, n = render(ctx, fmt, start, end)
    out.write(data)
    return n


def to_slack(ctx, user: str, fmt: str, locale: str) -> ledger.Outcome:
    """`/violation export [csv|xlsx]`: the whole ledger to the asker's direct messages (the group only). The answer
    says at once how many entries it holds; the file is made and queued once the command is answered
    (bot/files_later.py: Slack waits 3 s, a long ledger's XLSX takes longer), a failure told in the same DM."""
    if not ledger.allowed(ctx, user):
        return ledger.refusal(locale)
    if fmt not in ("csv", "xlsx"):
        return ledger.Outcome(True, i18n.t(locale, "violations.export_usage"))
    with read_scope(ctx.engine) as s:
        n = s.execute(select(func.count()).select_from(Violation)).scalar_one()

    def build():
        data, entries = render(ctx, fmt)
        day = ledger.today(ctx).isoformat()
        files = [{"filename": f"violations-{day}.{fmt}", "title": i18n.tp(locale, "violations.export_title", day=day),
                  "content_b64": base64.b64encode(data).decode("ascii")}]

        def record(s, now):
            # who took the ledger out of the bot, when, how much (the ledger is personal data: §3.6.2, leadership only)
            s.add(AuditEvent(at=now, actor=user, action="violations_exported", note=fmt,
                             after={"format": fmt, "entries": entries}))
        return files, record

    upload_to_dm_after_answer(ctx, user, build, i18n.t(locale, "violations.export_failed"), what="/violation export")
    return ledger.Outcome(True, i18n.t(locale, "violations.export_sent", n=n))
