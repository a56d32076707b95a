"""A file a slash command sends, made once the command is answered (Slack waits 3 s for the answer; reading a long
table and writing its XLSX takes longer). The command answers at once, in words (`handlers/common.py`
`answer_command`); the file is made after the HTTP answer is written (`Context.after_answer`, run by the HTTP front's
after-answer threads) and queued in one transaction with whatever the use case records beside it (its audit row).
When making it fails, the asker is told in a direct message and nothing half-made is sent."""

from __future__ import annotations

import logging
from typing import Callable

from bot.outbox import ROUTINE, enqueue
from bot.outbox_files import UPLOAD
from storage.db import session_scope

log = logging.getLogger("safeshift.files")


def upload_to_dm_after_answer(ctx, user: str, build: Callable[[], tuple], failed_text: str, *, what: str) -> None:
    """Once the command is answered: `build()` the files (it returns the files as the outbox carries them,
    bot/outbox_files.py, and `record(session, now)` or None), then queue their upload to `user`'s direct messages and
    run its `record(session, now)` in the same transaction. A failure anywhere on the way is logged (as `what`) and
    `failed_text` goes to the same direct messages."""
    key = f"files:{user}"

    def work() -> None:
        try:
            files, record = build()
            now = ctx.clock.now()
            with session_scope(ctx.engine) as s:
                enqueue(s, now, UPLOAD, {"channel": user, "files": files}, ordering_key=key, priority=ROUTINE)
                if record is not None:
                    record(s, now)
        except Exception:  # noqa: BLE001 - the answer is out: the asker hears it in a DM, the log says why
            log.exception("%s failed after the command was answered", what)
            with session_scope(ctx.engine) as s:
                enqueue(s, ctx.clock.now(), "chat.postMessage", {"channel": user, "text": str(failed_text)},
                        ordering_key=key, priority=ROUTINE)
        ctx.wake()

    ctx.after_answer(work)
