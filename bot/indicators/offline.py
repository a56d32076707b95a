"""`safeshift report monthly` and `safeshift figures import` (#22): the report as files, posting a month now, and
the figures that are not in Slack."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.indicators import charts, figures, report
from storage.db import session_scope

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def write_files(ctx, month: str, fmt: str, out_dir: str) -> list[Path]:
    """The report as `safeshift-<month>.<fmt>` and its charts as PNG files in `out_dir`; the paths written."""
    with session_scope(ctx.engine) as s:
        r = report.build(ctx, s, month)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"safeshift-indicators-{month}.{fmt}"
    if fmt == "md":
        path.write_text(report.markdown(ctx, r), encoding="utf-8")
    elif fmt == "csv":
        path.write_text("\ufeff" + report.csv_text(r), encoding="utf-8")  # a BOM: spreadsheets read UTF-8 then
    else:
        path.write_bytes(report.xlsx_bytes(ctx, r))
    written = [path]
    for name, _title, png in charts.render_all(ctx, r):
        (out / name).write_bytes(png)
        written.append(out / name)
    return written


def post_now(ctx, month: str, client=None, wait: float = 30.0) -> bool:
    """Queue the month's report (edited in place if posted before) and, given a Slack client, deliver it now
    (a running bot's sender would too). True: a first post; False: the earlier post was replaced;
    `report.StillSending`: nothing was queued (the month's earlier charts are being uploaded right now)."""
    first = report.post(ctx, month)
    if client is not None:
        from sqlalchemy import select

        from bot.outbox import Sender
        from storage.models import OutboxMessage

        sender = Sender(ctx.engine, client, ctx.clock, channel_interval=0)
        key = f"indicators:{month}"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            sender.run_once()
            with session_scope(ctx.engine) as s:
                if s.execute(select(OutboxMessage.id).where(
                        OutboxMessage.ordering_key.startswith(key),
                        OutboxMessage.status.in_(("pending", "sending"))).limit(1)).first() is None:
                    break
            time.sleep(0.2)
    return first


def import_figures(ctx, path: str, by: str) -> int:
    rows = figures.parse(Path(path).read_text(encoding="utf-8-sig"))
    with session_scope(ctx.engine) as s:
        return figures.store(s, rows, by, ctx.clock.now())
