"""`/training` (#23): my record (tests taken, what is due); a supervisor also sees their team's quarterly test;
the leadership group sees participation by team (the share of members who passed this quarter's test, §6.2.1).
`/training test` starts a test on demand; `/training help`."""

from __future__ import annotations

from sqlalchemy import select

from bot import i18n
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.text import clean_text
from bot.training import induction, participation, quarterly, quiz, sessions, topics
from storage.db import session_scope
from storage.models import TrainingAttendance, TrainingSession, TrainingTest

SHOWN = 5  # a person's latest tests shown


def command(ctx, user: str, text: object, locale: str) -> quiz.Outcome:
    words = clean_text(text or "").split()
    verb = words[0].lower() if words else ""
    if verb in ("test", "测试", "quiz"):
        return quiz.start(ctx, user, locale)
    if verb in ("record", "记录", "登记"):
        return sessions.form(ctx, user, locale)
    if verb in ("topic", "培训内容"):  # §5.3.2 a topic for the next expert lecture
        rest = clean_text(text or "").strip().split(maxsplit=1)
        return quiz.Outcome(True, topics.add(ctx, user, rest[1] if len(rest) > 1 else "", locale))
    if verb in ("", "me", "mine", "我的"):
        return quiz.Outcome(True, record(ctx, user, locale))
    return quiz.Outcome(True, i18n.t(locale, "training.help"))


def _status(locale: str, test: TrainingTest | None) -> str:
    if test is None:
        return i18n.tp(locale, "training.status_none")
    return i18n.tp(locale, f"training.status_{test.status}", right=test.right, total=len(test.questions))


def _quarter_tests(s, period: str, users: list[str]) -> dict[str, TrainingTest]:
    """Each person's latest attempt at the quarter's test."""
    rows = s.execute(select(TrainingTest).where(TrainingTest.period == period, TrainingTest.user_id.in_(users))
                     .order_by(TrainingTest.attempt)).scalars().all() if users else []
    return {t.user_id: t for t in rows}


def record(ctx, user: str, locale: str) -> Mrkdwn:
    org = ctx.org
    period, _ = quarterly.quarter_of(org.local(ctx.clock.now()).date())
    with session_scope(ctx.engine) as s:
        mine = s.execute(select(TrainingTest).where(TrainingTest.user_id == user)
                         .order_by(TrainingTest.id.desc()).limit(SHOWN)).scalars().all()
        lines = [i18n.t(locale, "training.record_head")]
        for t in mine:
            lines.append(i18n.t(locale, "training.record_line", when=fmt_time(t.created_at, org.tz),
                                what=i18n.tp(locale, f"training.reason_{t.reason}"), status=_status(locale, t)))
        if not mine:
            lines.append(i18n.t(locale, "training.record_empty"))
        attended = s.execute(select(TrainingSession).join(
            TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id).where(
            TrainingAttendance.user_id == user).order_by(TrainingSession.day.desc(), TrainingSession.id.desc())
        ).scalars().all()
        lines.append(i18n.t(locale, "training.record_hours", hours=f"{sum(x.hours for x in attended):g}",
                            n=len(attended)))
        for x in attended[:SHOWN]:
            lines.append(i18n.t(locale, "training.record_session", day=x.day.isoformat(), course=x.course,
                                kind=i18n.tp(locale, f"training.kind_{x.kind}"), hours=f"{x.hours:g}"))
        st = induction.standing(ctx, s, user)
        if st is not None:
            lines.append(induction.line(locale, user, st))
        due = [t for t in mine if t.status == quiz.OPEN]
        for t in due:
            lines.append(i18n.t(locale, "training.record_due", n=len(t.answers) + 1, total=len(t.questions),
                                due=fmt_time(t.due_at, org.tz)))
        teams = [t for t in org.teams if user in t.supervisors]
        if teams:
            for team in teams:
                people = list(dict.fromkeys(list(team.members)))
                tests = _quarter_tests(s, period, people)
                lines.append(i18n.t(locale, "training.team_head", team=team.name, period=period))
                lines += [i18n.t(locale, "training.team_line", who=mention(u), status=_status(locale, tests.get(u)))
                          for u in people]
                lines += [induction.line(locale, u, x) for u in people
                          if (x := induction.standing(ctx, s, u)) is not None]
        if ctx.directory.sees_everything(user):
            lines.append(i18n.t(locale, "training.participation_head", period=period))
            for team in org.teams:
                people = list(dict.fromkeys(list(team.members) + list(team.supervisors)))
                tests = _quarter_tests(s, period, people)
                done = sum(1 for u in people if tests.get(u) is not None and tests[u].status == quiz.PASSED)
                lines.append(i18n.t(locale, "training.participation_line", team=team.name, done=done,
                                    total=len(people), percent=round(100 * done / len(people)) if people else 0))
            month = org.local(ctx.clock.now()).date().strftime("%Y-%m")
            taken = participation.for_month(ctx, s, month)  # the sessions' rosters saved this month (§6.2.1)
            lines.append(i18n.t(locale, "training.sessions_head", month=month, came=taken.attended,
                                n=taken.expected, percent=f"{taken.share():g}" if taken.expected else "—"))
            lines += [i18n.t(locale, "training.sessions_line", team=team, came=a, n=n)
                      for team, (a, n) in sorted(taken.teams.items())]
    return Mrkdwn("\n".join(lines))
