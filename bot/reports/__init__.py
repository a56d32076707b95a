"""The report engine, generic over the kind of report (`hazard` now; `incident` next).

| module | its job |
|---|---|
| `kinds` | a kind's policy (numbering, levels, categories, ladders, permissions); which deadline applies |
| `create` | validating input, numbering, the rate limit, grouping a burst, the first messages |
| `transitions` | acknowledge, resolve, separate, thread replies: one transaction each |
| `lookups` | status, mine, timeline (read-only) |
| `notices` | the outbox rows a report's messages become (card, thread lines, DMs) |
"""
