"""What the suggestion box plugs into the core (#24; bot/registry.py): the batches that post to the leadership
channel, `/suggest`, and the requests that leave no trace of their sender (bot/untraced.py)."""

from __future__ import annotations

from bot import ids
from bot.registry import JobArea, Kind
from bot.suggestions import answer, box

SUGGESTIONS = Kind(
    name="suggestions",
    jobs=(JobArea(answer.PREFIX, answer.triggers, answer.catch_up, answer.run),),
    commands=(ids.SUGGEST_COMMAND,),
    untraced=(ids.SUGGEST_COMMAND, ids.SUGGEST_VIEW, ids.SUGGEST_HOME_ACTION),
    home=box.home_blocks,
)
