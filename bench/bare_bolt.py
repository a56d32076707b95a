"""The baseline: a bare Bolt app answering the same requests, behind the same server (waitress).

    python bench/bare_bolt.py PORT     (SLACK_SIGNING_SECRET, SLACK_API_URL from the environment)
"""

from __future__ import annotations

import os
import sys

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from waitress import serve

client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"], retry_handlers=[])
app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client, process_before_response=True,
          authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-bench"))
MODAL = {"type": "modal", "callback_id": "hazard_report", "title": {"type": "plain_text", "text": "Report"},
         "submit": {"type": "plain_text", "text": "Report"},
         "blocks": [{"type": "input", "block_id": "description", "label": {"type": "plain_text", "text": "What"},
                     "element": {"type": "plain_text_input", "action_id": "value"}}]}


@app.command("/hazard")
def command(ack, body, client):
    client.views_open(trigger_id=body["trigger_id"], view=MODAL)
    ack()


@app.view("hazard_report")
def submitted(ack):
    ack()


if __name__ == "__main__":
    serve(SlackRequestHandler(app), host="127.0.0.1", port=int(sys.argv[1]), threads=8)
