"""Every Slack id SafeShift owns: commands, view callbacks, actions, blocks.

Listeners register on these, templates receive them (`ids` in every template), the manifest names
the command from here. Buttons on cards already posted carry these ids: never rename one.
"""

COMMAND = "/hazard"

# view callback ids
REPORT_VIEW = "hazard_report"
RESOLVE_VIEW = "hazard_resolve"

# action ids (the button's value is the report number)
ACK_ACTION = "hazard_ack"
RESOLVE_ACTION = "hazard_resolve"
SEPARATE_ACTION = "hazard_separate"
HOME_REPORT_ACTION = "home_report"

# block ids of the report form: also the keys of inline errors
FORM_BLOCKS = ("level", "category", "description", "location", "suggestion", "photos")
ACTIONS_BLOCK = "hazard_actions"
RESOLVE_NOTE_BLOCK = "note"
