"""Slack listeners. Each reads the payload, calls one use case in `bot/`, and answers.

No SQL and no business rule lives here.
"""

from handlers import actions, commands, events, guard, views


def register(app, ctx) -> None:
    guard.register(app)
    commands.register(app, ctx)
    views.register(app, ctx)
    actions.register(app, ctx)
    events.register(app, ctx)
