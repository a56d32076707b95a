"""The composition root (#18): the one place that knows every kind. Nothing in the product imports it but the entry
points (`bot/cli.py`, the sandbox); tests install the same list through it.

Adding a kind: its package under bot/ (with a `plugin.py` declaring its `Kind`), its listeners in
`handlers/<kind>.py` with `register(app)`, its migration, and one line in each list below.
"""

from __future__ import annotations

import handlers
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
from handlers import checks as checks_listeners
from handlers import drills as drills_listeners
from handlers import hazards as hazards_listeners
from handlers import incidents as incidents_listeners
from handlers import indicators as indicators_listeners
from handlers import rectification as rectification_listeners
from handlers import risks as risks_listeners
from handlers import suggestions as suggestions_listeners
from handlers import training as training_listeners
from handlers import violations as violations_listeners

KINDS = (HAZARDS, RECTIFICATION_KIND, INCIDENTS, CHECKS, DRILLS, TRAINING, SUGGESTIONS, VIOLATIONS, INDICATORS,
         RISKS)
# indicators before checks: its `/safeshift figures` listener (a matcher) goes before `/safeshift schedule`'s
LISTENERS = (hazards_listeners, incidents_listeners, rectification_listeners, indicators_listeners, checks_listeners,
             drills_listeners, training_listeners, suggestions_listeners, violations_listeners, risks_listeners)


def install() -> registry.Registry:
    """Install the product's kinds in this process (idempotent)."""
    return registry.install(registry.Registry(KINDS))


def warnings(org) -> list[str]:
    """What the organisation file leaves out that some kind will silently not do (`safeshift check`, start-up)."""
    return [line for k in KINDS if k.warnings for line in k.warnings(org)]


def register_listeners(app, ctx) -> None:
    """What `bot.app.Runtime` calls to wire Slack's listeners: the core's, then each kind's."""
    handlers.register(app, ctx, kinds=LISTENERS)


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
