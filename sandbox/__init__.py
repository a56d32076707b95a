"""`safeshift sandbox`: SafeShift without Slack, for trying, demonstrating and developing.

slack.py is the Slack stand-in (also the test suite's), people.py is Slack's side of the conversation
with the bot (signed requests), web.py and static/ are the page, run.py starts it all, checks.py is
the Block Kit validation. Nothing in bot/, handlers/, storage/ or schedules/ imports this package;
only the CLI (bot/cli.py) does, when the command is run.
"""
