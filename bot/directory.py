"""Who is who: roles from the organisation file, and the policy's permission check."""

from __future__ import annotations

from bot.policy import PERSON_ROLES, Organisation, Team

# The leadership group as far as permissions and overviews go (§1.3: head, deputy, safety officer and the
# further members in `people.leadership`). Team supervisors belong to the group in the document, but hold
# only their own team's items here.
LEADERSHIP_ROLES = ("department_head", "deputy", "safety_officer", "leadership")


class Directory:
    def __init__(self, org: Organisation):
        self.org = org
        self._teams = {t.name: t for t in org.teams}

    def team(self, name: str | None) -> Team | None:
        return self._teams.get(name) if name else None

    def team_of(self, user_id: str) -> Team | None:
        for team in self.org.teams:
            if user_id in team.members:
                return team
        for team in self.org.teams:
            if user_id in team.supervisors:
                return team
        return None

    def people(self, role: str) -> list[str]:
        if role == "leadership":
            seen: list[str] = []
            for r in LEADERSHIP_ROLES:
                for u in getattr(self.org.people, r):
                    if u not in seen:
                        seen.append(u)
            return seen
        return list(getattr(self.org.people, role, []) or [])

    def roles_of(self, user_id: str, team_name: str | None) -> set[str]:
        roles = {"anyone"}
        for role in PERSON_ROLES:
            if role == "leadership":
                continue
            if user_id in getattr(self.org.people, role):
                roles.add(role)
        if user_id in self.people("leadership"):
            roles.add("leadership")
        team = self.team(team_name)
        if team is not None:
            if user_id in team.supervisors:
                roles.add("team_supervisors")
            if user_id in team.members:
                roles.add("team_members")
        return roles

    def sees_everything(self, user_id: str) -> bool:
        """Does `user_id` hold the whole department's items (Home tab overview)? The leadership group does."""
        return bool(self.roles_of(user_id, None) & set(LEADERSHIP_ROLES))

    def is_known(self, user_id: str) -> bool:
        return len(self.roles_of(user_id, None)) > 1 or self.team_of(user_id) is not None

    def allowed(self, user_id: str, action: str, team_name: str | None, report=None) -> bool:
        """May `user_id` take `action`? With `report`, the role `paged` counts: whoever its page asks to respond."""
        permitted = set(self.org.policy.permissions.get(action, []))
        if permitted & self.roles_of(user_id, team_name):
            return True
        return "paged" in permitted and report is not None and user_id in self.paged(report)

    def page_people(self, report) -> list[str]:
        """Everyone an incident of its level and kind names: its responders, the level's people, and the kind's
        partners (paged on a paging level, told on the others)."""
        section = getattr(self.org.policy, report.kind or "hazard")  # the kind's policy section
        level = section.levels[report.level]
        targets = list(level.responders) + list(level.notify)
        cat = section.categories.get(report.category)
        if cat is not None:  # the kind's partner departments, at every level (#21, §2.3.2)
            targets += list(getattr(cat, "page", None) or [])
        return self.resolve_people(targets, report.team, report.reporter_id)

    def paged(self, report) -> list[str]:
        """The people a report's page asks to respond now (a level of `page_levels`), and its category's responders."""
        section = getattr(self.org.policy, report.kind or "hazard")
        extra = self.category_responders(report)  # #21: asked to answer whatever the level (IT, equipment)
        if report.level not in (getattr(section, "page_levels", None) or ()):
            return extra
        return list(dict.fromkeys(self.page_people(report) + extra))

    def permitted_roles(self, action: str) -> list[str]:
        return list(self.org.policy.permissions.get(action, []))

    def resolve_people(self, targets: list[str], team_name: str | None, reporter: str | None,
                       responders: list[str] | None = None) -> list[str]:
        """Slack user ids for person targets, in order, without repeats. Channel targets are skipped."""
        out: list[str] = []

        def add(users):
            for u in users:
                if u and u not in out:
                    out.append(u)

        for target in targets:
            if target == "team_supervisors":
                team = self.team(team_name)
                add(team.supervisors if team else [])
            elif target == "responders":
                add(self.resolve_people(responders or [], team_name, reporter))
            elif target == "reporter":
                add([reporter] if reporter else [])
            elif target.endswith("_channel"):
                continue
            else:
                add(self.people(target))
        return out

    def resolve_channels(self, targets: list[str], team_name: str | None) -> list[str]:
        out: list[str] = []
        for target in targets:
            channel = None
            if target == "leadership_channel":
                channel = self.org.channels.leadership
            elif target == "safety_channel":
                channel = self.org.channels.safety
            elif target == "team_channel":
                team = self.team(team_name)
                channel = team.channel if team else None
            if channel and channel not in out:
                out.append(channel)
        return out

    def responder_targets(self, kind_name: str | None, level: int, category: str | None) -> list[str]:
        """The roles holding a report: its level's responders and (#21) its category's, if the category names any."""
        section = getattr(self.org.policy, kind_name or "hazard")  # the kind's policy section
        cat = section.categories.get(category) if category else None
        extra = [r for r in (getattr(cat, "responders", None) or []) if r not in section.levels[level].responders]
        return list(section.levels[level].responders) + extra

    def category_responders(self, report) -> list[str]:
        """#21: the people the report's category adds to its responders (IT for an equipment hazard)."""
        section = getattr(self.org.policy, report.kind or "hazard")
        cat = section.categories.get(report.category)
        return self.resolve_people(list(getattr(cat, "responders", None) or []), report.team, report.reporter_id)

    def responders_for(self, level: int, team_name: str | None, reporter: str | None,
                       kind_name: str = "hazard", category: str | None = None) -> list[str]:
        """People who hold a report of this level (and category, #21). With no team supervisor, the safety officer
        holds it."""
        people = self.resolve_people(self.responder_targets(kind_name, level, category), team_name, reporter)
        return people or self.people("safety_officer") or self.people("department_head")
