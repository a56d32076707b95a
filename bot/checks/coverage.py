"""What the organisation file leaves out of the daily checks (#21, §2.2.2, §3.1.1): a team with no shifts gets no
pre-shift self-check and no briefing, a team with no on-duty person no end-of-day check, silently. `safeshift check`
and start-up say so, naming the team and what it will not get (bot/registry.py `Kind.warnings`)."""

from __future__ import annotations

WHAT = {"pre_shift": "the pre-shift self-check (班前自查, §2.2.3)", "briefing": "the pre-shift briefing (班前会, §2.2.2)",
        "end_of_day": "the end-of-day check (下班前检查, §3.1.1)"}


def warnings(org) -> list[str]:
    out = []
    end_of_day = org.policy.checklists.end_of_day.owner
    for team in org.teams:
        if not team.shifts:
            out.append(f"team {team.name!r} has no shifts: it gets no {WHAT['pre_shift']} and no {WHAT['briefing']}; "
                       f"add `shifts:` to it in the organisation file")
        owners = (list(team.on_duty) if "on_duty" in end_of_day else []) + (
            list(team.supervisors) if "team_supervisors" in end_of_day else [])
        if not owners and set(end_of_day) <= {"on_duty", "team_supervisors"}:
            out.append(f"team {team.name!r} has no on-duty person: it gets no {WHAT['end_of_day']}; "
                       f"add `on_duty: [U…]` to it in the organisation file")
    return out
