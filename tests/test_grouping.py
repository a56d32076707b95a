"""A burst of reports of one place: one card, one rolling thread message, everyone numbered and answered."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from storage.db import session_scope
from storage.models import Report


def test_a_burst_of_one_place_makes_one_card_and_follows_its_lead(bot):
    users = ["U0AGENT1", "U0AGENT2", "U0AGENT3"]
    bot.report("U0AGENT1", level=1, category="fire", description="smoke!", location="Floor 3 East")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: bot.report(users[i % 3], level=1, category="fire", description=f"fire alarm {i}",
                                           location="floor 3 east "), range(30)))
    bot.report("U0AGENT2", level=1, category="fire", location="canteen")  # another place: a card of its own
    bot.drain(timeout=30)
    with session_scope(bot.ctx.engine) as s:
        reports = s.execute(select(Report).order_by(Report.id)).scalars().all()
    lead = reports[0]
    assert len({r.number for r in reports}) == 32
    assert [r.group_id for r in reports[1:31]] == [lead.id] * 30 and reports[31].group_id is None
    fake = bot.fake
    cards = [c for c in fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"
             and "hazard_ack" in json.dumps(c.params.get("blocks") or [])]
    assert len(cards) == 2
    rolling_posts = [c for c in fake.of("chat.postMessage") if c.params["channel"] == "C0SAFETY"
                     and ("grouped under" in c.params.get("text", "") or "并入" in c.params.get("text", ""))]
    assert len(rolling_posts) == 1  # the rest are edits of that one message
    last_card = [c for c in fake.of("chat.update") if "hazard_ack" in json.dumps(c.params.get("blocks", []))][-1]
    assert "30" in json.dumps(last_card.params["blocks"], ensure_ascii=False)
    # every reporter got their own number by DM
    dms = [c for c in fake.of("chat.postMessage") if c.params["channel"].startswith("U0AGENT")]
    assert len(dms) == 32
    # acknowledging the lead answers the whole group; resolving it closes them
    bot.click("U0OFFICER", "hazard_ack", lead.number)
    with session_scope(bot.ctx.engine) as s:
        assert {r.status for r in s.execute(select(Report).where(Report.group_id == lead.id)).scalars()} == \
            {"acknowledged"}
    # a grouped report's number acts on its lead
    from bot import prefs  # noqa: F401
    from bot.hazards import (  # noqa: F401
        create,
        forms,  # noqa: F401
        lookups,
        transitions,
    )
    from bot.hazards.kinds import kind  # noqa: F401

    member = reports[5].number
    assert transitions.resolve(bot.ctx, member, "U0OFFICER", "evacuated, false alarm").ok
    with session_scope(bot.ctx.engine) as s:
        statuses = {r.status for r in s.execute(select(Report).where(Report.id <= reports[30].id)).scalars()}
    assert statuses == {"resolved"}


def test_superseded_card_updates_are_coalesced(bot):
    fake = bot.fake
    bot.runtime.sender.stop()  # hold delivery while the group grows
    bot.report("U0AGENT1", location="lift lobby")
    for i in range(10):
        bot.report("U0AGENT2", description=f"also {i}", location="Lift Lobby")
    bot.runtime.sender._stop.clear()
    bot.runtime.sender.start()
    bot.drain(timeout=30)
    updates = fake.of("chat.update")
    assert len(updates) <= 3  # ten changes, most of them superseded before delivery


def test_a_more_urgent_report_of_the_same_place_is_never_grouped_under_a_lesser_one(bot):
    bot.report("U0AGENT1", level=3, category="equipment", description="flickering light", location="Room 5")
    bot.report("U0AGENT2", level=1, category="fire", description="smoke from the light", location="room 5")
    bot.report("U0AGENT3", level=3, category="equipment", description="light again", location="room 5")
    with session_scope(bot.ctx.engine) as s:
        reports = s.execute(select(Report).order_by(Report.id)).scalars().all()
    assert reports[1].group_id is None  # the level-1 report has its own card and 30-minute ladder
    assert reports[2].group_id == reports[0].id
