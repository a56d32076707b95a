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
    channel = payload["channel"]
    if channel[:1] in ("U", "W"):  # a person: their direct-message channel (files are shared to a channel id)
        channel = client.conversations_open(users=channel)["channel"]["id"]
    kwargs = {"channel": channel, "file_uploads": files}
    if payload.get("thread_ts"):
        kwargs["thread_ts"] = payload["thread_ts"]
    if payload.get("initial_comment"):
        kwargs["initial_comment"] = payload["initial_comment"]
    response = client.files_upload_v2(**kwargs)
    return {"ok": True, "channel": payload["channel"], "files": [f.get("id") for f in response.get("files") or []]}


def uploaded_files(key: str | None, response: dict, at) -> list[dict]:
    """The `slack_file` rows of an upload made under `key` (its `message_key`): what a replacement deletes."""
    if not key:
        return []
    return [dict(file_id=f, key=key, channel=response.get("channel") or "", uploaded_at=at)
            for f in response.get("files") or [] if f]

