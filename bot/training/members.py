"""Who is new (#23; §3.5.1 入职培训): the people the organisation file lists in each team are compared, on the
training area's daily run (claimed once across replicas; a restart with a changed file makes the day's run up),
with the set stored last time. A person new to the organisation (in no team before) starts induction: their
supervisor is reminded (bot/training/induction.py) until their hours and a passed test clear them. A person moved
from one team to another is recorded in the new team but is not sent back to induction. The first run stores the
file's people as they are: nobody already working is put in induction by the bot's arrival."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.db import buffer_insert
from storage.models import AuditEvent, TeamMember

CACHE = "training.in_induction"  # Session.info key: the people in induction, read once per transaction


def sync(ctx, s, now: dt.datetime) -> list[str]:
    """Store the file's teams; the people who started induction now."""
    known = s.execute(select(TeamMember.team, TeamMember.user_id)).all()
    first = not known
    pairs = {(t, u) for t, u in known}
    people = {u for _t, u in known}
    started = []
    for team in ctx.org.teams:
        for user in dict.fromkeys(list(team.members) + list(team.supervisors)):
            if (team.name, user) in pairs:
                continue
            new = not first and user not in people
            s.add(TeamMember(team=team.name, user_id=user, since=now, induction=new))
            s.info.pop(CACHE, None)
            pairs.add((team.name, user))
            people.add(user)
            buffer_insert(s, AuditEvent.__table__, dict(
                at=now, actor="system", action="team_member_added", subject_type=None, subject_id=None, before=None,
                note=user, after={"team": team.name, "user": user, "induction": new}))
            if new:
                started.append(user)
    s.flush()
    return started


def in_induction(s, user: str) -> bool:
    """Read once per transaction (a shift's self-checks ask for every member: one read, not one each)."""
    known = s.info.get(CACHE)
    if known is None:
        known = s.info[CACHE] = frozenset(s.execute(select(TeamMember.user_id)
                                                    .where(TeamMember.induction.is_(True))).scalars())
    return user in known


def inducted(s) -> list[str]:
    return list(dict.fromkeys(s.execute(select(TeamMember.user_id).where(TeamMember.induction.is_(True))
                                        .order_by(TeamMember.since)).scalars()))
