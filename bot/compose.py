"""The composition root (#18): the one place that knows every kind. Nothing in the product imports it but the entry
points (`bot/cli.py`, the sandbox); tests install the same list through it.

Adding a kind: its package under bot/ (with a `plugin.py` declaring its `Kind`), its listeners in
`handlers/<kind>.py` with `register(app)`, its migration, a line in `KINDS` and its listeners in
`register_listeners` below.
"""

from __future__ import annotations

from bot import registry
from bot.checks.plugin import CHECKS
from bot.drills.plugin import DRILLS
from bot.hazards.plugin import HAZARDS
from bot.incidents.plugin import INCIDENTS
from bot.indicators.plugin import INDICATORS
from bot.rectification.plugin import RECTIFICATION_KIND
from bot.risks.plugin import RISKS
from bot.suggestions.plugin import SUGGESTIONS
from bot.training.plugin import TRAINING
from bot.violations.plugin import VIOLATIONS

KINDS = (HAZARDS, RECTIFICATION_KIND, INCIDENTS, CHECKS, DRILLS, TRAINING, SUGGESTIONS, VIOLATIONS, INDICATORS,
         RISKS)


def install() -> registry.Registry:
    """Install the product's kinds in this process (idempotent)."""
    return registry.install(registry.Registry(KINDS))


def warnings(org) -> list[str]:
    """What the organisation file leaves out that some kind will silently not do (`safeshift check`, start-up)."""
    return [line for k in KINDS if k.warnings for line in k.warnings(org)]


def register_listeners(app, ctx) -> None:
    """What `bot.app.Runtime` calls to wire Slack's listeners: the core's, then each kind's.

    The listeners (and Bolt with them) are imported here, when an app is wired, not with this module (issue 26):
    `safeshift export`, `digest`, `check` and the other one-shot commands need the kinds, not their listeners."""
    import handlers
    from handlers import (
        checks,
        drills,
        hazards,
        incidents,
        indicators,
        rectification,
        risks,
        suggestions,
        training,
        violations,
    )

    # indicators before checks: its `/safeshift figures` listener (a matcher) goes before `/safeshift schedule`'s
    handlers.register(app, ctx, kinds=(hazards, incidents, rectification, indicators, checks, drills, training,
                                       suggestions, violations, risks))


def build_runtime(settings, org, *, with_scheduler: bool, clock=None):
    """The process: the app with every kind's listeners, the sender, the Sweeper and (if asked) the scheduler."""
    from bot.app import Runtime

    install()
    kwargs = {"clock": clock} if clock is not None else {}
    runtime = Runtime(settings, org, register=register_listeners, **kwargs)
    if with_scheduler:
        from schedules.scheduler import JobScheduler

        runtime.add_background(JobScheduler(runtime.ctx))
    return runtime
