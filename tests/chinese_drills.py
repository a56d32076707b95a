"""Sample template contexts of drills (#10) for tests/test_chinese.py."""

from __future__ import annotations

from bot import i18n, ids


def drill_contexts(locale: str, v: dict, t) -> dict:
    tp = lambda key, **kw: i18n.tp(locale, key, **kw)  # noqa: E731
    name = "消防疏散演练" if locale == "zh-CN" else "Fire drill"
    return {
        "drill_notice": dict(title=tp("drills.notice_title", name=name), body=t("drills.notice_day"),
                             moved=t("drills.notice_moved"), plan_line=t("drills.plan_line"), buttons=True,
                             value="3", zone=v["zone"], count=t("drills.notice_count"), ids=ids),
        "drill_list": dict(title=tp("drills.list_title"), lines=[t("drills.list_line"), t("drills.list_line")],
                           empty=t("drills.list_empty"), footer=t("drills.list_help"), zone=v["zone"]),
        "drill_form": dict(callback_id=ids.DRILL_VIEW, summary=t("drills.form_intro"), private_metadata="{}",
                           score_hint=tp("drills.score_hint", n=90),
                           problems_hint=tp("drills.problems_hint", max=20, text=tp("drills.within_wd", n=15)),
                           problem_max=3000, summary_max=2000, score_chars=3, ids=ids),
        "drill_report": dict(title=tp("drills.report_title", name=name), when=v["when"],
                             plan=t("drills.report_plan_value"), attendance=t("drills.report_attendance_value"),
                             score=t("drills.report_score_value"), passed=False,
                             problems=[t("drills.report_problem_line"), t("drills.report_problem_line")],
                             no_problems=t("drills.report_no_problems"), summary=v["note"], by=t("drills.report_by"),
                             zone=v["zone"]),
    }
