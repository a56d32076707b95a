"""Risks kept current (#21, §4.1, §4.1.1).

observations  the weekly risk observation (风险观察表): every team member asked by DM, "nothing new" in one click or
              the form; at the deadline (a timer), those who did not answer listed to their supervisor, once
publish       the risk register published to every team's channel (风险清单全员公示) when it changed
plugin        what the kind plugs into the core: the round's timer, the two jobs
"""

SUBJECT = "risk_round"  # what a round's timers and audit rows name (bot/subjects.py)
