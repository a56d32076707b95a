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

# incidents and emergency plans (#9)
INCIDENT_COMMAND = "/incident"
PLAN_COMMAND = "/plan"
PLAN_REVIEWED_ACTION = "plan_reviewed"  # #21 §5.1.1 Reviewed on the safety officer's reminder of stale plans
PLAN_REVIEW_BLOCK = "plan_review"
INCIDENT_VIEW = "incident_report"
INCIDENT_LEVEL_VIEW = "incident_level"
INCIDENT_ON_SITE_ACTION = "incident_on_site"
INCIDENT_LEVEL_ACTION = "incident_change_level"
INCIDENT_ACTIONS_BLOCK = "incident_actions"
INCIDENT_FORM_BLOCKS = ("category", "level", "description", "location", "affected", "actions")
INCIDENT_LEVEL_BLOCK = "level"
INCIDENT_REASON_BLOCK = "reason"
# message shortcuts: turn a colleague's message into a report in two clicks
INCIDENT_SHORTCUT = "report_as_incident"
HAZARD_SHORTCUT = "report_as_hazard"
# after the event: special report, investigation (with corrective actions), post-mortem summary
INCIDENT_SPECIAL_ACTION = "incident_special_report"
INCIDENT_INVESTIGATE_ACTION = "incident_investigate"
INCIDENT_POSTMORTEM_ACTION = "incident_postmortem"
INCIDENT_TASKS_BLOCK = "incident_tasks"
INCIDENT_TASK_VIEW = "incident_task"  # every after-the-event form; its private_metadata names the task

# rectification (整改, §4.3) and the risk register (§4.1) (#11); a button's value is the hazard's number
RECT_START_ACTION = "rect_start"  # on the hazard card: assess the risk, start the loop
RECT_PLAN_ACTION = "rect_plan"
RECT_APPROVE_ACTION = "rect_approve"
RECT_SEND_BACK_ACTION = "rect_send_back"
RECT_EXTENSION_ACTION = "rect_extension"
RECT_EXT_APPROVE_ACTION = "rect_ext_approve"
RECT_EXT_DENY_ACTION = "rect_ext_deny"
RECT_COMPLETE_ACTION = "rect_complete"
RECT_PASS_ACTION = "rect_pass"
RECT_FAIL_ACTION = "rect_fail"
RECT_REASSIGN_ACTION = "rect_reassign"
RECT_ACTIONS = (RECT_START_ACTION, RECT_PLAN_ACTION, RECT_APPROVE_ACTION, RECT_SEND_BACK_ACTION, RECT_EXTENSION_ACTION,
                RECT_EXT_APPROVE_ACTION, RECT_EXT_DENY_ACTION, RECT_COMPLETE_ACTION, RECT_PASS_ACTION, RECT_FAIL_ACTION,
                RECT_REASSIGN_ACTION)
RECT_ACTIONS_BLOCK = "rect_actions"
RECT_START_BLOCK = "rect_start"
RECT_VIEW = "rect_step"  # every rectification form; its private_metadata names the step
RISK_COMMAND = "/risk"
RISK_VIEW = "risk_add"
RISK_NOTHING_NEW_ACTION = "risk_nothing_new"  # #21 §4.1.1: the weekly ask answered "nothing new" (value: the round)
RISK_OBSERVE_ACTION = "risk_observe_form"  # #21 §4.1.1: the weekly ask's button that opens the observation form

# checks: shift and daily checklists, recurring checks (#10); a button's value is the check task's id
SAFESHIFT_COMMAND = "/safeshift"  # `/safeshift schedule`: what is due this week
TASK_OK_ACTION = "task_ok"  # All OK / Done
TASK_PROBLEM_ACTION = "task_problem"  # Problem found: records the ticked items, opens the hazard form prefilled
TASK_ITEMS_ACTION = "task_items"  # the checkboxes of a checklist (ticking alone changes nothing)
TASK_ITEMS_BLOCK = "task_items"
TASK_ACTIONS_BLOCK = "task_actions"
CHECK_RECORD_VIEW = "check_record"  # #21: a check's content and problem list (private_metadata names the task)
CHECK_FINDING_ACTION = "check_finding_hazard"  # #21: one recorded problem filed as a hazard (value: the finding's id)

# drills (演练, #10); a button's value is the drill's id
DRILL_COMMAND = "/drill"
DRILL_ATTEND_ACTION = "drill_attend"  # on the day: "I took part"
DRILL_EVALUATE_ACTION = "drill_evaluate"  # after it: opens the evaluation form
DRILL_ACTIONS_BLOCK = "drill_actions"
DRILL_VIEW = "drill_evaluation"
DRILL_FORM_BLOCKS = ("score", "problems", "summary")

# the anonymous suggestion box (#24, §2.3.3): the command and its form leave no trace of the sender
SUGGEST_COMMAND = "/suggest"
SUGGEST_VIEW = "suggest_form"
SUGGEST_TEXT_BLOCK = "suggestion_text"
SUGGEST_ACTIONS_BLOCK = "suggestion_actions"
SUGGEST_REPLY_ACTION = "suggestion_reply"  # the leadership's buttons on the suggestion's post (value: its id)
SUGGEST_ADOPT_ACTION = "suggestion_adopt"
SUGGEST_DECLINE_ACTION = "suggestion_decline"
SUGGEST_REPLY_VIEW = "suggestion_reply_form"
SUGGEST_REPLY_BLOCK = "reply"

# the violations ledger (#24, §3.6.2): leadership only
VIOLATION_COMMAND = "/violation"
VIOLATION_VIEW = "violation_form"
VIOLATION_FORM_BLOCKS = ("what", "occurred_on", "evidence", "linked", "accident")
VIOLATION_APPEAL_ACTION = "violation_appeal"  # on the person's DM (value: the entry's id)
VIOLATION_APPEAL_VIEW = "violation_appeal_form"
VIOLATION_APPEAL_BLOCK = "appeal"
VIOLATION_UPHOLD_ACTION = "violation_uphold"  # on the appeal's message to the deciders
VIOLATION_OVERTURN_ACTION = "violation_overturn"
VIOLATION_ACTIONS_BLOCK = "violation_actions"

# the appraisal's safety score (#24, §3.6.3): one's own, privately; another's for the ledger's group
APPRAISAL_COMMAND = "/appraisal"
SUGGEST_HOME_ACTION = "suggestion_home"  # the Home tab's button: opens the form, untraced like the command

# training (培训, #23): the test in chat; a radio button's value is "<test id>:<question index>:<choice>"
TRAINING_COMMAND = "/training"
TRAINING_ANSWER_ACTION = "training_answer"  # choosing an answer (the radio buttons) answers the question
TRAINING_RETAKE_ACTION = "training_retake"  # after a fail: the value is the failed test's id
TRAINING_ANSWER_BLOCK = "training_answer"
TRAINING_ACTIONS_BLOCK = "training_actions"
TRAINING_RECORD_VIEW = "training_record"  # `/training record`: the form
TRAINING_FORM_BLOCKS = ("course", "kind", "people", "hours", "day")
TRAINING_ROSTER_TICK_ACTION = "training_roster_tick"  # the roster's checkboxes (ticking alone changes nothing)
TRAINING_ROSTER_SAVE_ACTION = "training_roster_save"  # Save: the value is the roster's id; records who came
TRAINING_ROSTER_BLOCK = "training_roster"  # + ":<n>": the n-th block of checkboxes (10 people each)
TRAINING_TOPIC_ACTION = "training_topic"  # on an incident's review message: add a topic to the next lecture
TRAINING_TOPIC_VIEW = "training_topic_form"
TRAINING_TOPIC_BLOCK = "topic"
STAR_PICK_ACTION = "star_pick"  # the leadership group's message: the value is "<pick id>:<nominee>"
STAR_ACTIONS_BLOCK = "star_actions"

# Indicators (#22): `/safeshift figures [YYYY-MM]`, the month's figures that are not in Slack
FIGURES_VIEW = "figures_modal"
