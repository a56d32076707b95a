"""Queries shared by several use cases."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Report


def group_members(session, lead_id: int, limit: int = 200) -> list[tuple[str, str, object]]:
    """(number, reporter, reported_at) of the reports grouped under `lead_id`, oldest first."""
    return [tuple(r) for r in session.execute(
        select(Report.number, Report.reporter_id, Report.reported_at).where(Report.group_id == lead_id)
        .order_by(Report.id).limit(limit)).all()]


def group_reports(session, lead_id: int, newest: int) -> tuple[int, list[Report]]:
    """(how many, the newest `newest` of them oldest first) of the reports grouped under `lead_id`."""
    total = session.execute(select(func.count()).select_from(Report).where(Report.group_id == lead_id)).scalar_one()
    rows = session.execute(select(Report).where(Report.group_id == lead_id)
                           .order_by(Report.id.desc()).limit(newest)).scalars().all()
    return total, list(reversed(rows))


def reports_since(session, reporter_id: str, since) -> int:
    """How many reports `reporter_id` filed since `since` (the rate limit)."""
    return session.execute(select(func.count()).select_from(Report)
                           .where(Report.reporter_id == reporter_id, Report.reported_at >= since)).scalar_one()
