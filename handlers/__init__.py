"""Slack listeners. Each reads the payload, calls one use case in `bot/`, and answers.

No SQL and no business rule lives here. Every listener is a plain function of this package;
`register()` wires them, with the middleware that gives each one our context and the person's
language, and the error handler that turns storage trouble into a "try again" answer.
"""

from bot import guard, ids
from handlers import actions, checks, commands, drills, events, incidents, rectification, views
from handlers.middleware import attach, storage_errors


def register(app, ctx) -> None:
    guard.register(app)
    app.middleware(attach(ctx))
    app.error(storage_errors(ctx))
    app.command(ids.COMMAND)(commands.hazard_command)
    app.view(ids.REPORT_VIEW)(views.submit_report)
    app.view(ids.RESOLVE_VIEW)(views.submit_resolution)
    app.action(ids.ACK_ACTION)(actions.acknowledge)
    app.action(ids.RESOLVE_ACTION)(actions.resolve)
    app.action(ids.SEPARATE_ACTION)(actions.separate)
    app.action(ids.HOME_REPORT_ACTION)(actions.report_from_home)
    app.command(ids.INCIDENT_COMMAND)(incidents.incident_command)
    app.command(ids.PLAN_COMMAND)(incidents.plan_command)
    app.view(ids.INCIDENT_VIEW)(incidents.submit_incident)
    app.view(ids.INCIDENT_LEVEL_VIEW)(incidents.submit_level)
    app.action(ids.INCIDENT_ON_SITE_ACTION)(incidents.on_site)
    app.action(ids.INCIDENT_LEVEL_ACTION)(incidents.change_level)
    app.action(ids.INCIDENT_SPECIAL_ACTION)(incidents.special_report)
    app.action(ids.INCIDENT_INVESTIGATE_ACTION)(incidents.investigate)
    app.action(ids.INCIDENT_POSTMORTEM_ACTION)(incidents.postmortem)
    app.view(ids.INCIDENT_TASK_VIEW)(incidents.submit_task)
    app.message_shortcut(ids.INCIDENT_SHORTCUT)(incidents.incident_shortcut)
    app.message_shortcut(ids.HAZARD_SHORTCUT)(incidents.hazard_shortcut)
    for action_id in ids.RECT_ACTIONS:  # rectification (#11): the hazard card's button and the item card's
        app.action(action_id)(rectification.on_button)
    app.view(ids.RECT_VIEW)(rectification.submit_step)
    app.command(ids.RISK_COMMAND)(rectification.risk_command)
    app.view(ids.RISK_VIEW)(rectification.submit_risk)
    app.action(ids.TASK_OK_ACTION)(checks.task_ok)  # checks and drills (#10)
    app.action(ids.TASK_PROBLEM_ACTION)(checks.task_problem)
    app.action(ids.TASK_ITEMS_ACTION)(checks.task_items)
    app.command(ids.SAFESHIFT_COMMAND)(checks.safeshift_command)
    app.command(ids.DRILL_COMMAND)(drills.drill_command)
    app.action(ids.DRILL_ATTEND_ACTION)(drills.attend)
    app.action(ids.DRILL_EVALUATE_ACTION)(drills.evaluate)
    app.view(ids.DRILL_VIEW)(drills.submit_evaluation)
    app.event("message")(events.on_message)
    app.event("reaction_added")(events.on_reaction_added)
    app.event("app_mention")(events.on_mention)
    app.event("app_home_opened")(events.on_home)
