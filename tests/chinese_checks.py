"""Sample values and template contexts of checks (#10) for tests/test_chinese.py."""

from __future__ import annotations

from bot import i18n
from bot.i18n import Mrkdwn, mention


def check_samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    return dict(title="UPS及发电机测试" if zh else "UPS / generator test", at="2026-12-02 10:05",
                occasion="热线A组 · 2026-12-02" if zh else "Hotline A · 2026-12-02",
                owners=Mrkdwn(f"{mention('U0FAC')}"), items="用电安全" if zh else "electrical safety",
                where="热线A组" if zh else "Hotline A", shift="早班" if zh else "Early", before="15分钟" if zh else "15 min",
                cadence=i18n.tp(locale, "checks.schedule.days.every_day"), days=7, weekday="周三" if zh else "Wed",
                time="10:00", day="12月2日（周三）" if zh else "Wed 12-02", mm=12, dd=2,
                on_time=12, late=2, problem=1, not_done=1, month="2026-12", week="2026-12-04",
                controls="每日巡查" if zh else "daily patrol",
                categories="用电安全 3 · 消防安全 1" if zh else "Electrical 3 · Fire safety 1",
                levels="二级（中等） 2 · 三级（一般） 2" if zh else "Level 2 (moderate) 2 · Level 3 (minor) 2")


def check_contexts(locale: str, v: dict, t) -> dict:
    return {
        "check_task": dict(task_id="7", head=t("checks.head"),
                           items=[{"value": "power_cords", "text": "电源线、插座完好" if locale == "zh-CN" else "Power cords"}],
                           sample=Mrkdwn(i18n.join_list(locale, ["A01", "A07"], "and")), done=None, overdue=True),
        # #21: a check done with what it found, its problems each with their hazard button or number
        "check_record": dict(callback_id="check_record", private_metadata="{}", head=t("checks.record.head"),
                             content_label=i18n.tp(locale, "checks.record.findings"), content_max=2000,
                             problems_hint=i18n.tp(locale, "checks.record.problems_hint", n=20), problems_max=10020),
        "risk_ask": dict(head=t("risks.ask.head"), done=None, value="3"),
    }
