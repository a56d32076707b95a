"""What a timer or an audit row is about: a subject type and an id (#18).

Each kind names its own subject type (`bot.hazards.kinds.SUBJECT` is "report", a check task's is "check_task", …); the
core stores and matches the pair and never asks what the type means. The registry (`bot.registry`) says which kind
loads a subject and fires its timers.
"""

from __future__ import annotations


def about(subject_type: str | None, subject_id: int | None) -> dict:
    """The two columns of a timer or audit row, for `dict(...)`/model keywords; no id means no subject."""
    if subject_id is None:
        return {"subject_type": None, "subject_id": None}
    return {"subject_type": subject_type, "subject_id": subject_id}
