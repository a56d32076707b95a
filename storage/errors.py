"""Database errors without what people typed, raised as SQLAlchemy raises them.

PostgreSQL's DETAIL and CONTEXT lines quote the failing row or key (`Failing row contains (…)`, `COPY outbox, line 3,
column payload: "…"`): what people typed. `hide_user_text` keeps the first line (what failed, which column or
constraint) and any HINT; `exc.diag` still holds the whole. Calls made on the driver itself, past SQLAlchemy (the
bulk rows' COPY and executemany, storage/bulk.py; the wake-up's NOTIFY, storage/wakeup.py), raise through
`raise_wrapped`, so their callers catch the same exceptions (`IntegrityError`, `OperationalError`, STORAGE_ERRORS) as
for any other statement."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def hide_user_text(error: BaseException) -> tuple[str, str] | None:
    """Cut `error`'s message to what names no row; (the message before, after), or None if nothing was cut."""
    message = str(error)
    lines = message.splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.startswith("HINT:")] if lines else []
    if len(kept) == len(lines):
        return None
    hidden = "\n".join(kept + ["DETAIL:  (hidden: it may quote user data)"])
    error.args = (hidden,)
    return message, hidden


def raise_wrapped(dialect, statement: str, error: Exception):
    """Raise the driver's `error` as SQLAlchemy would have (its DBAPIError subclass), parameters and row hidden."""
    if not isinstance(error, dialect.loaded_dbapi.Error):
        raise error
    hide_user_text(error)
    raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                              dialect=dialect) from error
