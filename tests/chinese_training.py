"""Sample values and template contexts of training (#23) for tests/test_chinese.py."""

from __future__ import annotations

from bot import i18n, ids
from bot.i18n import Mrkdwn, mention


def training_samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    return dict(total=10, mark=80, right=7, percent=70, answered=6, given="B", letter="A", section="3.1.2",
                period="2027Q1", explanation=("§3.1.2：每月检查一次消防器材状态。" if zh
                                              else "§3.1.2: the fire equipment is checked once a month."),
                choices="A. 每周一次\nB. 每月一次" if zh else "A. Once a week\nB. Once a month",
                hours="12", course="消防器材使用" if zh else "Using fire equipment", day="2027-02-10",
                kind=i18n.tp(locale, "training.kind_lecture"), theory="4", theory_needed="8", practice="0",
                practice_needed="4", passed=False, came=3, absent=Mrkdwn(mention("U0AGENT2")), topics="• 情绪管理" if zh else
                "• Handling emotions", star=Mrkdwn(mention("U0AGENT2")), count=2,
                reasons="及时上报裸露电线" if zh else "Reported an exposed wire at once")


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
        "training_roster": dict(title="月度安全学习会 · 2027-03-15" if locale == "zh-CN" else "Monthly · 2027-03-15",
                                head=t("training.roster_head"), topics=t("training.roster_topics"),
                                chunks=[[{"value": "U0AGENT1", "text": "<@U0AGENT1>"}]], done=None, roster_id="1",
                                ids=ids),
        "training_star": dict(title=tp("training.star_ask_title", month="2027-02"), head=t("training.star_ask_head"),
                              body=t("training.star_ask_line"), buttons=[{"value": "1:U0AGENT2",
                                                                          "text": tp("training.star_pick_button", n=1)}],
                              done=None, ids=ids),
        "training_topic_prompt": dict(text=t("training.topic_prompt"), report_id="7", ids=ids),
        "training_topic_form": dict(metadata='{"report": 7}', topic_max=300, ids=ids),
    }


def training_form_context(locale: str) -> dict:
    return {"training_form": dict(kinds=[{"value": "lecture", "label": i18n.tp(locale, "training.kind_lecture")}],
                                  course_max=200, today="2027-02-15", ids=ids)}
