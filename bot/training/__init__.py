"""Training (培训, #23; §3.5): the question bank, the test taken in chat (one question at a time, the explanation
after each answer, the score at the end, a retake after a fail), the quarterly test sent to every member with
reminders before the days run out, and `/training` (a person's record).

Modules: `quiz` (starting a test, answering, retaking, finishing: one transaction each), `messages` (what the
person sees), `quarterly` (the daily job and the timers), `command` (`/training`), `sessions` (`/training record`),
`induction` (§3.5.1: who is cleared to work, the supervisor's reminders), `notes` (`/safeshift note`, §2.3.3)."""

SUBJECT = "training"  # timers and audit rows of a test: ("training", test id)
