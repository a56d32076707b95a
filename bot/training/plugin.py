"""What training plugs into the core (#18; bot/registry.py): the tests' timers (reminders, the deadline), the daily
job that sends the quarterly test, and `/training`."""

from __future__ import annotations

from bot import ids
from bot.registry import JobArea, Kind, TimerHandler
from bot.training import SUBJECT, induction, quarterly

TRAINING = Kind(
    name="training",
    timers=(TimerHandler(SUBJECT, quarterly.load, quarterly.fire, purposes=quarterly.PURPOSES),),
    jobs=(JobArea(quarterly.PREFIX, quarterly.triggers, quarterly.catch_up, quarterly.run),),
    commands=(ids.TRAINING_COMMAND,),
    extra={"pre_shift_issued": induction.pre_shift_issued},  # a self-check sent to someone still in induction
)
