"""Drills (演练, #10; §2.3.2, §3.1.2, §3.4.2): the calendar laid out from the policy's cadence, notices before,
attendance on the day, the evaluation after (score, problems → rectification items), the report.

layout      the calendar: one `drill` row per (kind, period), days off moved to the next working day, idempotent
notices     the notices before and on the day (attendance and Evaluate buttons), each once (`drill.notices`)
manage      `/drill`: list, move (permission `run_drill`; notices sent for the old date go again), evaluate, help
attendance  "I took part": one `drill_attendance` row per person
evaluation  the form and the evaluation (one transaction: drill, audit, hazards and items, the report)
problems    a problem → a hazard answered at once and handed to a rectification item due in `problem_within`
report      the evaluation report to `report_to` (the leadership channel)
jobs        the daily scheduler job at `notice_time` (bot/jobs.py AREAS): lay out, send what is due
common      the answer type, the permission check and its refusal
"""

SUBJECT = "drill"  # what a drill's audit rows name (bot/subjects.py)
