"""Requests that must leave no trace of who made them (#24: the anonymous suggestion box, §2.3.3).

A kind names its untraced commands and view callbacks (`registry.Kind.untraced`). For such a request:

* the WSGI front does not store its signature in `seen_request` (a request id with a time to the second); the
  kind guards against a replay by what it stores (the same words on the same day are one suggestion);
* every log record created while it is answered (any logger, any level: SQLAlchemy's statements and rows at
  DEBUG, Bolt's, ours) keeps only its level and logger name: its message, arguments and traceback are dropped;
* the per-person rate limits and the outbox are not used (the kind's answer is the HTTP response itself).

`scope()` marks the current thread; the HTTP front holds one for the whole request (Bolt answers in that thread:
`process_before_response=True`).
"""

from __future__ import annotations

import contextlib
import logging
import threading

WITHHELD = "details withheld (untraced request)"

_state = threading.local()
_lock = threading.Lock()
_installed = False


def active() -> bool:
    return getattr(_state, "depth", 0) > 0


@contextlib.contextmanager
def scope():
    install_log_scrubber()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def install_log_scrubber() -> None:
    """Wrap the log record factory once per process: records made inside `scope()` carry nothing of the request."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            record = previous(*args, **kwargs)
            if active():
                record.msg, record.args = WITHHELD, ()
                record.exc_info, record.exc_text, record.stack_info = None, None, None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def is_untraced(body, names: frozenset) -> bool:
    """Is this parsed request body one of `names`: a slash command, a view's callback, or a click whose every action
    is one of them?"""
    if not isinstance(body, dict) or not names:
        return False
    if isinstance(body.get("command"), str):
        return body["command"] in names
    view = body.get("view")
    if body.get("type") in ("view_submission", "view_closed") and isinstance(view, dict):
        return view.get("callback_id") in names
    actions = body.get("actions")
    if body.get("type") == "block_actions" and isinstance(actions, list) and actions \
            and all(isinstance(a, dict) for a in actions):
        return all(a.get("action_id") in names for a in actions)
    return False
