"""What a person sees of a test (#23): a question with its radio buttons; the same question after the answer (the
choice, right or wrong, the explanation); the score at the end (a retake button after a fail); reminders."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.i18n import fmt_time
from bot.outbox import URGENT, enqueue
from bot.render import render
from storage.models import TrainingTest

LETTERS = "ABCDEF"


def ordering_key(test: TrainingTest) -> str:
    return f"training:{test.user_id}"  # one person's test messages go out in order


def question_key(test: TrainingTest, index: int) -> str:
    return f"training:{test.id}:q{index}"


def _title(locale: str, test: TrainingTest, index: int) -> str:
    return i18n.tp(locale, f"training.title_{test.reason}", n=index + 1, total=len(test.questions))


def question_message(ctx, test: TrainingTest, index: int, locale: str, answered: int | None = None) -> dict:
    """Question `index` of `test`: with its radio buttons, or (`answered`: the choice given) with the result."""
    org = ctx.org
    q = org.question_bank.by_id()[test.questions[index]]
    choices = [c.get(locale) for c in q.choices]
    lines = "\n".join(i18n.tp(locale, "training.choice", letter=LETTERS[i], text=c) for i, c in enumerate(choices))
    question = i18n.t(locale, "training.question", text=q.question.get(locale), choices=lines)
    intro = None
    if index == 0 and answered is None:
        intro = i18n.t(locale, "training.intro", total=len(test.questions), mark=test.pass_mark,
                       due=fmt_time(test.due_at, org.tz))
    options, result = None, None
    if answered is None:
        options = [{"text": f"{LETTERS[i]}. {c}", "value": f"{test.id}:{index}:{i + 1}"}
                   for i, c in enumerate(choices)]
    else:
        right = LETTERS[q.answer - 1]
        key = "training.answer_right" if answered == q.answer else "training.answer_wrong"
        result = i18n.t(locale, key, given=LETTERS[answered - 1], right=right,
                        explanation=q.explanation.get(locale), section=q.section)
    blocks = render("training_question", locale, title=_title(locale, test, index), intro=intro, question=question,
                    options=options, result=result, test_id=str(test.id), index=str(index))
    return {"text": i18n.tp(locale, "training.question_fallback", n=index + 1, total=len(test.questions)),
            "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def result_message(ctx, test: TrainingTest, locale: str) -> dict:
    total = len(test.questions)
    percent = round(100 * test.right / total) if total else 0
    passed = test.status == "passed"
    if test.status == "expired":
        body = i18n.t(locale, "training.result_expired", right=test.right, total=total,
                      answered=len(test.answers))
    else:
        body = i18n.t(locale, "training.result_passed" if passed else "training.result_failed",
                      right=test.right, total=total, percent=percent, mark=test.pass_mark)
    blocks = render("training_result", locale, title=i18n.tp(locale, "training.result_title"), body=body,
                    retake=test.status in ("failed", "expired"), test_id=str(test.id))
    return {"text": i18n.tp(locale, "training.result_fallback", right=test.right, total=total),
            "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def post_question(ctx, s, test: TrainingTest, index: int, locale: str, now: dt.datetime, priority: int = URGENT) -> None:
    payload = dict(question_message(ctx, test, index, locale), channel=test.user_id)
    enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(test),
            message_key=question_key(test, index), priority=priority)


def show_answer(ctx, s, test: TrainingTest, index: int, choice: int, locale: str, now: dt.datetime) -> None:
    payload = dict(question_message(ctx, test, index, locale, answered=choice), channel=test.user_id)
    enqueue(s, now, "chat.update", payload, ordering_key=ordering_key(test),
            target_key=question_key(test, index), priority=URGENT)


def post_result(ctx, s, test: TrainingTest, locale: str, now: dt.datetime) -> None:
    payload = dict(result_message(ctx, test, locale), channel=test.user_id)
    enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(test), priority=URGENT)


def post_reminder(ctx, s, test: TrainingTest, locale: str, now: dt.datetime) -> None:
    text = i18n.t(locale, "training.reminder", n=len(test.answers) + 1, total=len(test.questions),
                  due=fmt_time(test.due_at, ctx.org.tz))
    payload = {"channel": test.user_id, "text": str(text), "unfurl_links": False, "unfurl_media": False}
    enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(test))
