"""What training plugs into the core (#18; bot/registry.py): the tests' timers (reminders, the deadline), the daily
job that sends the quarterly test, and `/training`."""

from __future__ import annotations

from types import SimpleNamespace

from bot import ids
from bot.registry import JobArea, Kind, TimerHandler
from bot.training import SUBJECT, calendar, induction, notes, quarterly, roster, schedule, topics

TRAINING = Kind(
    name="training",
    timers=(TimerHandler(SUBJECT, quarterly.load, quarterly.fire, purposes=quarterly.PURPOSES),),
    jobs=(JobArea(schedule.PREFIX, schedule.triggers, schedule.catch_up, schedule.run),),
    commands=(ids.TRAINING_COMMAND,),
    warnings=calendar.warnings,
    extra={"pre_shift_issued": induction.pre_shift_issued,  # a self-check sent to someone still in induction
           "check_done": roster.check_done,  # the weekly team study is a check: its Done opens the roster
           "postmortem_submitted": topics.after_review,  # §5.3.2 a topic for the next lecture, after a review
           # the safety officer's daily update (§2.3.3): once in the next digest run (bot/hazards/digest.py)
           "digest_notes": SimpleNamespace(pending=notes.pending, publish=notes.publish, lines=notes.digest_lines)},
)
