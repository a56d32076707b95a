"""Slack listeners. Each reads the payload, calls one use case in `bot/`, and answers.

No SQL and no business rule lives here. Every listener is a plain function of this package;
`register()` wires them, with the middleware that gives each one our context and the person's
language, and the error handler that turns storage trouble into a "try again" answer.
"""

from bot import guard
from handlers import events
from handlers.middleware import attach, storage_errors


def register(app, ctx, kinds=()) -> None:
    """The core's wiring (signature guard, middleware, error handler, the Events API), then each kind's own
    listeners: `kinds` are modules with `register(app)`, listed by the composition root (bot/compose.py)."""
    guard.register(app)
    app.middleware(attach(ctx))
    app.error(storage_errors(ctx))
    for kind in kinds:
        kind.register(app)
    app.event("message")(events.on_message)
    app.event("reaction_added")(events.on_reaction_added)
    app.event("app_mention")(events.on_mention)
    app.event("app_home_opened")(events.on_home)
