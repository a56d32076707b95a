"""People's preferences: the language each person reads SafeShift in.

The fallback order lives here and only here: the person's own choice (`/hazard lang`), then the
organisation file's `user_locales`, then the organisation's language.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.db import read_scope, session_scope
from storage.models import AuditEvent, UserPref


def _fallback(org, user_id: str | None) -> str:
    if user_id and user_id in org.user_locales:
        return org.user_locales[user_id]
    return org.locale


# Every request asks for its person's language (the middleware), which was a database round trip each time:
# outside a transaction the answer is remembered in this process for REMEMBER seconds. A change made through this
# process shows at once; one made through another replica within REMEMBER. Not policy: it describes the bot.
REMEMBER = 5.0
REMEMBERED_MAX = 10_000  # people remembered at once (a few dozen bytes each); the table is emptied when full


def _remembered(ctx) -> dict:
    return ctx.cache.setdefault("user_locale", {})


def user_locale(ctx, user_id: str | None, session=None) -> str:
    """The language `user_id` reads. Pass `session` when already inside a transaction (always read afresh)."""
    if not user_id:
        return ctx.org.locale
    if session is not None:
        pref = session.get(UserPref, user_id)
        return pref.locale if pref else _fallback(ctx.org, user_id)
    known = _remembered(ctx)
    hit = known.get(user_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < REMEMBER:
        return hit[1]
    with read_scope(ctx.engine) as s:
        pref = s.get(UserPref, user_id)
    locale = pref.locale if pref else _fallback(ctx.org, user_id)
    if len(known) >= REMEMBERED_MAX:
        known.clear()
    known[user_id] = (now, locale)
    return locale


_CHOSEN = "safeshift_locales_chosen"  # session.info: (transaction, {user: their own choice or None}) read in it


def locales_of(session, org, users) -> dict[str, str]:
    """{user: language} for several people in one query (only those people's rows are read).

    A person's choice is read once per transaction: the sweeper fires a batch of rungs in one, which asked
    for the same few people once per rung (one query each, a third of its time with 10,000 rungs due).
    """
    users = sorted({u for u in users if u})
    transaction, known = session.info.get(_CHOSEN) or (None, None)
    if transaction is None or transaction is not session.get_transaction():  # another transaction: read afresh
        known = {}
        session.info[_CHOSEN] = (session.get_transaction(), known)
    new = [u for u in users if u not in known]
    if new:
        chosen = dict(session.execute(select(UserPref.user_id, UserPref.locale)
                                      .where(UserPref.user_id.in_(new))).all())
        known.update({u: chosen.get(u) for u in new})
    return {u: known[u] or _fallback(org, u) for u in users}


def set_user_locale(ctx, user_id: str, locale: str) -> None:
    with session_scope(ctx.engine) as s:
        pref = s.get(UserPref, user_id)
        before = pref.locale if pref else None
        if pref is None:
            s.add(UserPref(user_id=user_id, locale=locale))
        else:
            pref.locale = locale
        s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="set_locale", before={"locale": before},
                         after={"locale": locale}))
    _remembered(ctx)[user_id] = (time.monotonic(), locale)  # this process answers in it at once
