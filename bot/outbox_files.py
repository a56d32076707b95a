"""Files through the outbox (#22): a row of method `UPLOAD` carries files (base64) and, through its `target_key`, the
message whose thread they go to; the sender uploads them with slack-sdk's `files_upload_v2` (Slack's
files.getUploadURLExternal, a POST of the bytes to the URL it gives, then files.completeUploadExternal sharing them
to the channel and thread). A failed upload is retried like a post; what Slack refuses for good fails the row."""

from __future__ import annotations

import base64

UPLOAD = "files.uploadV2"  # not a Web API method: the sender's own name for the three calls above


def upload(client, payload: dict) -> dict:
    files = [{"content": base64.b64decode(f["content_b64"]), "filename": f["filename"], "title": f.get("title")}
             for f in payload.get("files") or []]
    kwargs = {"channel": payload["channel"], "file_uploads": files}
    if payload.get("thread_ts"):
        kwargs["thread_ts"] = payload["thread_ts"]
    if payload.get("initial_comment"):
        kwargs["initial_comment"] = payload["initial_comment"]
    response = client.files_upload_v2(**kwargs)
    return {"ok": True, "channel": payload["channel"], "files": [f.get("id") for f in response.get("files") or []]}
