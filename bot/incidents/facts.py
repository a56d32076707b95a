"""What an incident's card and its use cases read (#18: below both, so neither imports the other): who it pages,
which after-the-event tasks wait, its corrective actions."""

from __future__ import annotations

from sqlalchemy import select

from bot.hazards.kinds import kind
from storage.models import CorrectiveAction, RectItem, Report

KIND = "incident"
CORRECTIVE_ROWS = 3  # corrective-action rows in the investigation form (more can follow in a second investigation)


def paged_people(ctx, report: Report) -> list[str]:
    """Everyone an incident of its level and kind pages: its responders, the level's people, the kind's extras."""
    people = ctx.directory.page_people(report)
    return people or ctx.directory.responders_for(report.level, report.team, report.reporter_id, KIND)


def pending(ctx, report: Report) -> list[str]:
    """The after-the-event tasks of `report` waiting now (the card shows a button for each)."""
    out = [task for task in ("special_report", "investigation")
           if getattr(report, f"{task}_due_at") is not None and getattr(report, f"{task}_at") is None]
    if (report.level in kind(ctx.org, KIND).section.postmortem_levels and report.investigation_at is not None
            and report.postmortem_at is None):
        out.append("postmortem")
    return out


def corrective_actions(ctx, report_id: int, session) -> list[CorrectiveAction]:
    return list(session.execute(select(CorrectiveAction).where(CorrectiveAction.report_id == report_id)
                                .order_by(CorrectiveAction.id)).scalars())


def action_progress(s, incident_id: int) -> tuple[int, int, int]:
    """(done, all, overdue) of the incident's corrective actions (#21 §5.2.3): done when its item is closed."""
    rows = s.execute(select(CorrectiveAction.status, RectItem.state, RectItem.overdue)
                     .outerjoin(RectItem, RectItem.report_id == CorrectiveAction.item_report_id)
                     .where(CorrectiveAction.report_id == incident_id)).all()
    done = sum(1 for status, state, _ in rows if status == "done" or state == "closed")
    overdue = sum(1 for status, state, late in rows if late and state != "closed" and status != "done")
    return done, len(rows), overdue


def partners(ctx, report: Report) -> list[str]:
    """The kind's partner departments (`page:` of its category: security, IT, legal …), told at every level."""
    cat = kind(ctx.org, KIND).section.categories.get(report.category)
    return ctx.directory.resolve_people(list(cat.page), report.team, report.reporter_id) if cat is not None else []


def on_site_within(ctx, report: Report):
    """How soon the kind's partners are due on site (#21, §2.3.2: security within 10 minutes), or None."""
    cat = kind(ctx.org, KIND).section.categories.get(report.category)
    return cat.on_site_within if cat is not None else None
