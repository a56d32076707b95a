"""Sample values for the voice kinds' catalog words (#24: suggestions, the violations ledger)."""

from __future__ import annotations

from bot import i18n


def voice_samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    return dict(
        reply="已安排电工今晚更换" if zh else "the electrician replaces it tonight",
        state=i18n.tp(locale, "suggestions.status_adopted"), day="2026-09-14", limit=2000,
        person=i18n.mention("U0AGENT1"), count=2, within=365, owner=i18n.mention("U0DEPUTY"),
        step_name=i18n.tp(locale, "violations.step_written_notice"), appeal_days=7, id=12,
        linked="HZ-2026-00042", evidence="监控截图" if zh else "CCTV still", decision=i18n.tp(locale, "violations.appeal_upheld"),
        entries=i18n.Mrkdwn("• …"), score="70.0", weight=15, contribution="10.50", on_time=3, flagged=1,
        rectification="75.0", violations=1, violations_part="50", accidents=0, accidents_part="100", mean="77.0", recorder=i18n.mention("U0OFFICER"), action_name=i18n.tp(locale, "violations.suspend_calls"),
        # the year-end rule (§3.6.3), the monthly report's suggestions (§3.5.3)
        year=2026, before="98.3", scores=True, outcome=i18n.tp(locale, "appraisal.year_off_hotline"), received=3,
        adopted=1, never=False,
    )
