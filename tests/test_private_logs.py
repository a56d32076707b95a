"""Nothing people typed reaches the log: a failed statement's message, traceback and log line hide it."""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy.exc import DBAPIError

from storage.db import session_scope
from storage.models import Report

SECRET = "客户身份证 11010519491231002X 电话 13812345678 secret-user-text"


def _fail_with_user_text(engine, values: dict) -> DBAPIError:
    with pytest.raises(DBAPIError) as err:
        with engine.begin() as conn:
            conn.execute(Report.__table__.insert(), values)
    return err.value


@pytest.mark.parametrize("values", [
    {"description": SECRET},  # NOT NULL violated (PostgreSQL quotes the whole failing row in DETAIL)
    {"description": SECRET, "number": "x" * 200, "year": 2026, "seq": 1, "source_key": "V1", "category": "fire",
     "level": 2, "reporter_id": "U1"},  # too long for its column, or other columns missing
], ids=["not-null", "too-long"])
def test_a_failed_insert_does_not_log_what_people_typed(engine, values, caplog):
    log = logging.getLogger("safeshift.test")
    exc = _fail_with_user_text(engine, values)
    with caplog.at_level(logging.DEBUG):
        log.exception("database unavailable while storing a report", exc_info=exc)
    text = str(exc) + "".join(traceback.format_exception(exc)) + caplog.text
    assert "parameters hidden" in text or "[SQL:" not in text
    for piece in ("secret-user-text", "11010519491231002X", "13812345678", "客户身份证"):
        assert piece not in text, text[-2000:]


def test_a_failed_session_commit_does_not_log_what_people_typed(engine, caplog):
    with pytest.raises(DBAPIError) as err:
        with session_scope(engine) as s:
            s.add(Report(description=SECRET, number=None, year=2026, seq=1, source_key="V2", category="fire",
                         level=2, reporter_id="U1"))
    text = str(err.value) + "".join(traceback.format_exception(err.value))
    assert "secret-user-text" not in text and "11010519491231002X" not in text
