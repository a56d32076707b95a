"""Rectification (整改, §4.3): the closed loop from a hazard to a verified fix, and the risk register (§4.1).

states    the item's states, who holds each step, permissions, refusals (shared by the steps)
steps     assess (start the loop), plan, approve / send back, reassign
work      extension request and decision, completion report, verification
deadlines the item's timers (reminders, OVERDUE and the ladder), recurring items, the supervisor flag
card      the item's card in its hazard's thread and its forms
register  the risk register (`/risk`) and weekly observations
export    `safeshift export` (CSV / XLSX) for audits
"""
