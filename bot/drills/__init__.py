"""Drills (演练, #10; §2.3.2, §3.1.2, §3.4.2): the calendar laid out from the policy's cadence, notices before,
attendance on the day, the evaluation after (score, problems → rectification items), the report."""
