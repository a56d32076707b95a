"""Lengths that are not policy: Slack's own limits, and how much of a person's text a notice repeats.

The responsibility system says nothing about these; they keep messages inside what Slack accepts and
readable at a glance. The whole text always stays on the record and on `/hazard status`.
"""

# Slack's limits (Block Kit reference)
SECTION_TEXT = 3000  # a section's text
MESSAGE_TEXT = 3900  # a message's top-level `text` (Slack truncates past 4,000)
SIGNATURE_KEY = 80  # how much of `v0=<64 hex>` the replay guard stores (the column)

# How much of what a person typed a notice repeats
PLACE_IN_NOTICE = 200  # a place in a DM, an escalation or a group line
WORDS_IN_NOTICE = 500  # a description in a DM to someone paged
NOTE_ON_CARD = 500  # a resolution note on the card (the thread line carries more)
TEXT_ECHOED = 60  # a person's unreadable input quoted back in an error
ERROR_TEXT_KEPT = 2000  # a delivery error kept on an outbox row
