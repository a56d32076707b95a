"""The monthly report's parts from the other kinds (#22, #24): the suggestions adopted (§3.5.3), the appraisal's
safety score per team in the leadership's report and per person (with its parts) only in the XLSX export
(§3.6.3: a person's score is never in a channel), the emergency plans not reviewed in time (§5.1.1).

Hand-worked on the October seed (tests/test_indicators.py) with each closed item's completion at its closing:
* U0AGENT1: items due in October 10th (done on time), 12th (late), 20th (open), 30th (late) → 1/4 = 25.0; one
  violation (15 Oct) → 50; no accident → 100; score 0.4·25 + 0.4·50 + 0.2·100 = 50.0 (15% → 7.50);
* U0AGENT2: a violation overturned on appeal (not counted) → 100.0; U0SUPA: no item, nothing flagged → 100.0;
  Hotline A: mean 83.3; rectification (25 + 100 + 100)/3 = 75.0; violations 83.3; accidents 100.0;
* U0AGENT3: a violation that caused an accident (3 Oct) → 100, 50, 0 → 60.0; U0SUPB 100.0; Hotline B: mean 80.0,
  rectification 100.0, violations 75.0, accidents 50.0;
* suggestions received in October: 3 (2nd, 9th, 30th); adopted in October: 1 (one of September's, decided on
  5 October; one of October's decided in November does not count).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from bot.indicators import offline, report
from storage.db import session_scope
from storage.models import OutboxMessage, RectItem, Suggestion, Violation
from tests.slackschema import assert_valid_message
from tests.test_indicators import L, ctx, seed  # noqa: F401 - ctx: a fixture

D = dt.date


def voice(ctx):  # noqa: F811
    seed(ctx)
    with session_scope(ctx.engine) as s:
        s.execute(update(RectItem).where(RectItem.closed_at.is_not(None)).values(completed_at=RectItem.closed_at))
        for n, (person, day, accident, appeal) in enumerate((("U0AGENT1", 15, False, ""),
                                                             ("U0AGENT2", 16, False, "overturned"),
                                                             ("U0AGENT3", 3, True, ""))):
            s.add(Violation(source_key=f"v{n}", person_id=person, what="w", occurred_on=D(2026, 10, day),
                            caused_accident=accident, step="oral_warning", recorded_by="U0HEAD",
                            recorded_at=L(2026, 10, day, 12), appeal_status=appeal))
        for n, (day, status, decided) in enumerate(((D(2026, 9, 28), "adopted", D(2026, 10, 5)),
                                                    (D(2026, 10, 2), "received", None),
                                                    (D(2026, 10, 9), "adopted", D(2026, 11, 3)),
                                                    (D(2026, 10, 30), "declined", D(2026, 10, 31)))):
            s.add(Suggestion(code=f"S{n}", day=day, text="t", status=status, decided_on=decided))
    return ctx


def test_the_report_counts_adopted_suggestions_and_shows_team_scores_only(ctx, tmp_path):  # noqa: F811
    voice(ctx)
    with session_scope(ctx.engine) as s:
        r = report.build(ctx, s, "2026-10")
    assert r["suggestions"] == {"received": 3, "adopted": 1}
    text, blocks = report.blocks(ctx, r)
    assert_valid_message({"channel": "C0LEAD", "text": text, "blocks": blocks})
    shown = json.dumps(blocks, ensure_ascii=False).replace("* ", "").replace("*", "")
    assert "本月收到3条 · 采纳1条" in shown
    assert "Hotline A（3人）：平均83.3分 · 隐患整改75.0分 · 违规83.3分 · 事故100.0分" in shown
    assert "Hotline B（2人）：平均80.0分 · 隐患整改100.0分 · 违规75.0分 · 事故50.0分" in shown
    assert "U0AGENT1" not in shown and "<@" not in shown and "7.50" not in shown  # no person's score in a channel
    assert "火灾：从未评审" in shown  # the built-in plans are templates never reviewed
    # the team channels' parts carry no score at all
    with session_scope(ctx.engine) as s:
        report.queue(ctx, s, {"report": r, "files": []}, ctx.clock.now())
    with session_scope(ctx.engine) as s:
        rows = s.execute(select(OutboxMessage)).scalars().all()
        team_parts = [json.dumps(x.payload, ensure_ascii=False) for x in rows if x.payload["channel"] != "C0LEAD"]
    assert len(team_parts) == 2 and not any("平均" in p or "考核" in p or "采纳" in p for p in team_parts)

    # the XLSX: per team and per person, with the parts; the CSV and Markdown count the suggestions
    from openpyxl import load_workbook

    offline.write_files(ctx, "2026-10", "xlsx", str(tmp_path))
    wb = load_workbook(tmp_path / "safeshift-indicators-2026-10.xlsx")
    teams = [[c.value for c in row] for row in wb["appraisal-teams"].iter_rows()]
    assert teams[1:] == [["Hotline A", 3, 83.3, 75.0, 83.3, 100.0], ["Hotline B", 2, 80.0, 100.0, 75.0, 50.0]]
    people = {row[1]: row for row in ([c.value for c in r_] for r_ in wb["appraisal-people"].iter_rows()) if row[0] != "team"}
    assert people["U0AGENT1"] == ["Hotline A", "U0AGENT1", 50.0, 7.5, 25.0, 4, 1, 0, 50, 1, 100, 0]
    assert people["U0AGENT3"][2:4] == [60.0, 9.0] and people["U0AGENT2"][2] == 100.0
    assert [[c.value for c in row] for row in wb["suggestions"].iter_rows()] == [["received", "adopted"], [3, 1]]
    assert any("从未评审" in (row[0].value or "") for row in wb["stale-plans"].iter_rows())
    offline.write_files(ctx, "2026-10", "csv", str(tmp_path))
    csv_text = (tmp_path / "safeshift-indicators-2026-10.csv").read_text(encoding="utf-8-sig")
    assert "2026-10,suggestions_adopted,1,ok" in csv_text and "2026-10,suggestions_received,3,ok" in csv_text
    offline.write_files(ctx, "2026-10", "md", str(tmp_path))
    md = (tmp_path / "safeshift-indicators-2026-10.md").read_text(encoding="utf-8")
    assert "## 匿名建议（§3.5.3）" in md and "- 本月收到3条 · 采纳1条" in md and "U0AGENT1" not in md


def test_the_stale_plans_count_the_reviews_recorded_by_the_months_end(ctx):  # noqa: F811
    """A review recorded with `/plan review` (#21) takes a plan off the month's stale list; one recorded after the
    month's end does not (a past month reads as it stood)."""
    from storage.models import PlanReview

    with session_scope(ctx.engine) as s:
        s.add(PlanReview(plan="fire", reviewed_at=L(2026, 10, 15, 10), reviewed_by="U0OFFICER"))
        s.add(PlanReview(plan="power_cut", reviewed_at=L(2026, 11, 5, 10), reviewed_by="U0OFFICER"))
    with session_scope(ctx.engine) as s:
        shown = json.dumps(report.blocks(ctx, report.build(ctx, s, "2026-10"))[1], ensure_ascii=False)
    assert "火灾：" not in shown  # reviewed on 15 October: within the quarter at the month's end
    assert "停电：从未评审" in shown
