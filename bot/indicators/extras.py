"""What the monthly report takes from the other kinds (#22, #24), through their published functions:

* the emergency plans not reviewed in time at the month's end (§5.1.1; `bot.incidents.plans.stale_plans`);
* the suggestions received and adopted in the month (§3.5.3 采纳; `bot.suggestions.answer.adopted_count`);
* the appraisal's safety score (§3.6.3; `bot.violations.appraisal.score`): per team (its mean and the mean of
  each part) in the leadership's report; per person only in the XLSX export, which the operator makes
  (`safeshift report monthly --format xlsx`). A person's score is never in a channel (their Home tab shows it to
  them alone); a team channel's part of the report carries no score at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from storage.models import Suggestion

PARTS = ("rectification", "violations_part", "accidents_part")


def month_days(month: str) -> tuple[dt.date, dt.date]:
    y, m = (int(x) for x in month.split("-"))
    first = dt.date(y, m, 1)
    return first, dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def stale(ctx, s, month: str, locale: str) -> list[str]:
    """The emergency plans not reviewed within the policy's window at the month's end, counted from the last review
    (the organisation file's `reviewed:` or one recorded with `/plan review` by then)."""
    from bot.incidents.plans import last_reviewed, last_reviews, stale_plans

    last = month_days(month)[1]
    reviews = last_reviews(ctx, s, until=last)
    out = []
    for key in stale_plans(ctx.org, last, reviews):
        day = last_reviewed(ctx.org, key, reviews)
        out.append(i18n.tp(locale, "indicators.stale_line", name=ctx.org.plans[key].name.get(locale),
                           date=day.isoformat() if day else "", never=day is None))
    return out


def suggestions(s, month: str) -> dict:
    from bot.suggestions.answer import adopted_count

    first, last = month_days(month)
    received = s.execute(select(func.count()).select_from(Suggestion).where(
        Suggestion.day >= first, Suggestion.day <= last)).scalar()
    return {"received": received, "adopted": adopted_count(s, first, last)}


def appraisal(ctx, s, month: str) -> dict:
    """{"people": [(team, Score)], "teams": [(team, n, mean score, {part: mean})]}."""
    from bot.violations.appraisal import score

    people, teams = [], []
    for team in ctx.org.teams:
        scores = [score(ctx, s, p, month) for p in dict.fromkeys(team.supervisors + team.members)]
        people += [(team.name, x) for x in scores]
        n = len(scores)
        mean = lambda xs: round(sum(xs) / n, 1) if n else None  # noqa: E731
        teams.append((team.name, n, mean([x.score for x in scores]),
                      {p: mean([getattr(x, p) for x in scores]) for p in PARTS}))
    return {"people": people, "teams": teams}


def team_score_lines(ctx, r: dict, locale: str) -> list[str]:
    none = i18n.tp(locale, "indicators.state_none")
    w = lambda v: none if v is None else f"{v:.1f}"  # noqa: E731
    return [i18n.tp(locale, "indicators.score_line", team=team, n=n, mean=w(mean), rectification=w(parts[PARTS[0]]),
                    violations=w(parts[PARTS[1]]), accidents=w(parts[PARTS[2]]))
            for team, n, mean, parts in r["appraisal"]["teams"]]


def suggestion_line(r: dict, locale: str) -> str:
    return i18n.tp(locale, "indicators.suggestions_line", **r["suggestions"])


def xlsx_sheets(ctx, r: dict) -> list[tuple[str, list[list]]]:
    """The XLSX's extra sheets: the appraisal per team and per person (with its parts), the suggestions, the
    stale plans."""
    weight = ctx.org.policy.appraisal.weight
    teams = [["team", "people", "score", "rectification", "violations", "accidents"]] + [
        [team, n, "" if mean is None else mean] + ["" if parts[p] is None else parts[p] for p in PARTS]
        for team, n, mean, parts in r["appraisal"]["teams"]]
    people = [["team", "person", "score", f"contribution ({weight}%)", "rectification", "items due",
               "on time", "flagged", "violations part", "violations", "accidents part", "accidents"]] + [
        [team, x.person, x.score, x.contribution, x.rectification, x.due, x.on_time, x.flagged, x.violations_part,
         x.violations, x.accidents_part, x.accidents] for team, x in r["appraisal"]["people"]]
    voice = [["received", "adopted"], [r["suggestions"]["received"], r["suggestions"]["adopted"]]]
    plans = [["stale emergency plan"]] + [[line] for line in r["stale"]]
    return [("appraisal-teams", teams), ("appraisal-people", people), ("suggestions", voice), ("stale-plans", plans)]
