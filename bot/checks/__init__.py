"""Checks (#10): checklists of each shift and day, recurring checks, their deadlines and what is due.

tasks      one check to do: issued (row + message), done or problem found (→ a hazard report), in one transaction
shifts     the shift and daily checklists (pre-shift self-check, briefing, end of day, patrol) and missing lists
shift_rates  how many of a day's or month's checklists were done on time, late, with a problem, or not at all
recurring  the policy's recurring checks (weekly, monthly, quarterly), spot-check samples
deadlines  reminders and the overdue ladder of a check task, as timer rows the Sweeper fires
schedule   what is due this week (/safeshift schedule)
jobs       the scheduler's entry: triggers and runs of the above (bot/jobs.py AREAS)
"""

SUBJECT = "check_task"  # what a check task's timers and audit rows name (bot/subjects.py)
