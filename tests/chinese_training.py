"""Sample values and template contexts of training (#23) for tests/test_chinese.py."""

from __future__ import annotations

from bot import i18n, ids


def training_samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    return dict(total=10, mark=80, right=7, percent=70, answered=6, given="B", letter="A", section="3.1.2",
                period="2027Q1", explanation=("§3.1.2：每月检查一次消防器材状态。" if zh
                                              else "§3.1.2: the fire equipment is checked once a month."),
                choices="A. 每周一次\nB. 每月一次" if zh else "A. Once a week\nB. Once a month",
                hours="12", course="消防器材使用" if zh else "Using fire equipment", day="2027-02-10",
                kind=i18n.tp(locale, "training.kind_lecture"), theory="4", theory_needed="8", practice="0",
                practice_needed="4", passed=False)


def training_contexts(locale: str, v: dict, t) -> dict:
    tp = lambda key, **kw: i18n.tp(locale, key, **kw)  # noqa: E731
    return {
        "training_question": dict(title=tp("training.title_quarterly", n=1, total=10), intro=t("training.intro"),
                                  question=t("training.question"), result=t("training.answer_wrong"),
                                  options=[{"text": "A. x", "value": "1:0:1"}, {"text": "B. y", "value": "1:0:2"}],
                                  test_id="1", index="0", ids=ids),
        "training_result": dict(title=tp("training.result_title"), body=t("training.result_failed"), retake=True,
                                test_id="1", ids=ids),
        **training_form_context(locale),
    }


def training_form_context(locale: str) -> dict:
    return {"training_form": dict(kinds=[{"value": "lecture", "label": i18n.tp(locale, "training.kind_lecture")}],
                                  course_max=200, today="2027-02-15", ids=ids)}
