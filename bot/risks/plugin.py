"""What risks plug into the core (#21; bot/registry.py): the observation round's deadline timer, the weekly ask and
the register's publication."""

from __future__ import annotations

from bot.registry import JobArea, Kind, TimerHandler
from bot.risks import SUBJECT, observations, publish

RISKS = Kind(
    name="risks",
    timers=(TimerHandler(SUBJECT, observations.load, observations.fire, purposes=(observations.PURPOSE,)),),
    jobs=(JobArea(observations.JOB, observations.triggers, lambda org, job: observations.CATCH_UP, observations.run,
                  exact=True),
          JobArea(publish.JOB, publish.triggers, lambda org, job: publish.CATCH_UP, publish.run, exact=True)),
)
