"""Every action_id and callback_id in one place."""

COMMAND = "/hazard"
REPORT_VIEW = "hazard_report"
RESOLVE_VIEW = "hazard_resolve"
ACK_ACTION = "hazard_ack"
RESOLVE_ACTION = "hazard_resolve"
HOME_REPORT_ACTION = "home_report"
