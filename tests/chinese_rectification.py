"""Sample values and template contexts of rectification (#11) for tests/test_chinese.py."""

from __future__ import annotations

from bot import i18n, ids


def rect_samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    return dict(risk="中风险" if zh else "Medium risk", state=i18n.tp(locale, "rectification.state_in_progress"),
                likelihood="高（每周数次）" if zh else "High (several times a week)",
                impact="一般（服务中断或轻微泄露）" if zh else "General (service interruption or minor leak)")


def rect_contexts(locale: str, v: dict, t) -> dict:
    r = rect_samples(locale)
    fields = [dict(block=b, kind=k, label=i18n.tp(locale, f"rectification.{label}"), optional=False, max=2000,
                   options=[{"value": "high", "label": r["likelihood"]}], hint=None, initial=None)
              for b, k, label in (("likelihood", "select", "likelihood"), ("measures", "multiline", "measures"),
                                  ("target", "date", "target"), ("assigned", "users", "assigned"),
                                  ("photos", "files", "photos"), ("reason", "text", "ext_reason"))]
    return {
        "rect_card": dict(number=v["number"], state=r["state"], holder=v["people"], due=v["due"], first_due=v["when"],
                          accountable=v["who"], assigned=v["reporter"], measures=v["note"], resources=v["note"],
                          target=v["date"], extension=t("rectification.ext_pending"), completion=v["note"],
                          evidence=[{"n": 1, "url": v["url"], "image": True}],
                          recurring=t("rectification.recurring_line"), flagged=t("rectification.flagged_line"),
                          closed=t("rectification.closed_line"), buttons=list(ids.RECT_ACTIONS[1:]),
                          value=v["number"], zone=v["zone"], risk=r["risk"], likelihood=r["likelihood"],
                          impact=r["impact"], ids=ids),
        "risk_register": dict(title=i18n.tp(locale, "risk.title", n=3), header=t("risk.header"),
                              matrix=i18n.Mrkdwn("```\n  严重  一般\n高  1·高风险  0·中风险\n```"),
                              levels=[{"title": t("risk.level_title"), "lines": t("risk.line")}]),
        "risk_done": dict(body=t("risk.added")),
        "rect_form": dict(callback_id=ids.RECT_VIEW, title=i18n.tp(locale, "rectification.title_plan"), fields=fields,
                          summary=t("rectification.form_summary"), private_metadata="{}", ids=ids),
    }

