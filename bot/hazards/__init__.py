"""Hazards (#18: the package of the hazard kind), and the report engine incidents share with them.

| module | its job |
|---|---|
| `kinds` | a kind's policy (numbering, levels, categories, ladders, permissions); which deadline applies |
| `create` | validating input, numbering, the rate limit, grouping a burst, the first messages |
| `transitions` | acknowledge, resolve, separate, thread replies: one transaction each |
| `lookups` | status, mine, timeline (read-only) |
| `notices` | the outbox rows a report's messages become (card, thread lines, DMs) |
| `thread` | working a report from its card's thread (replies, reactions, @mentions) |
| `escalation` | a report's deadlines and ladders as timer rows, and what fires when one is due |
| `present`, `forms` | the card, the group's thread message, the report and resolve forms |
| `plugin` | what the kind plugs into the core (bot/registry.py) |
"""
