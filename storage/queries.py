"""Queries shared by several use cases."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Report


def group_members(session, lead_id: int, limit: int = 200) -> list[tuple[str, str, object]]:
    """(number, reporter, reported_at) of the reports grouped under `lead_id`, oldest first."""
    return [tuple(r) for r in session.execute(
        select(Report.number, Report.reporter_id, Report.reported_at).where(Report.group_id == lead_id)
        .order_by(Report.id).limit(limit)).all()]
