"""Hazards' listeners (#18: one `register` per kind, wired by bot/compose.py). The listeners themselves are in
`commands` (/hazard), `views` (the report and resolve forms) and `actions` (the card's and Home's buttons)."""

from bot import ids
from handlers import actions, commands, views


def register(app) -> None:
    app.command(ids.COMMAND)(commands.hazard_command)
    app.view(ids.REPORT_VIEW)(views.submit_report)
    app.view(ids.RESOLVE_VIEW)(views.submit_resolution)
    app.action(ids.ACK_ACTION)(actions.acknowledge)
    app.action(ids.RESOLVE_ACTION)(actions.resolve)
    app.action(ids.SEPARATE_ACTION)(actions.separate)
    app.action(ids.HOME_REPORT_ACTION)(actions.report_from_home)
