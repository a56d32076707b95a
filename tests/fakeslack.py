"""The Slack stand-in lives in sandbox/slack.py (one for the tests and `safeshift sandbox`)."""

from sandbox.slack import Call, FakeSlack, Scripted  # noqa: F401
