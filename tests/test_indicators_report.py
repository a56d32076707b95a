"""The monthly safety report (#22) through the real sender and the fake Slack: on the policy's day, once across two
processes (the claimed job), every indicator against target and the month before, the charts uploaded into the
report's thread the way Slack's API takes files (files.getUploadURLExternal, the bytes, files.completeUploadExternal),
posting the month again edits the message (never a second one); the offline report as md, csv and xlsx with its
PNGs; `safeshift figures import`; the PNG charts open and Chinese labels render in a CJK font."""

from __future__ import annotations

import csv
import io
import logging
import struct
import threading
import warnings

import pytest

from bot import jobs
from bot.clock import FrozenClock
from bot.context import Context
from bot.indicators import charts, offline, report
from bot.indicators.jobs import JOB
from storage.db import session_scope
from tests.conftest import org_from, outbox_settled, start_bot, stop_bot, wait_until, without_jobs_of
from tests.test_indicators import (  # noqa: F401 - the seeded October (and its fixture)
    L,
    ctx,  # noqa: F401 - a fixture
    seed,
    seeded,
)


@pytest.fixture(autouse=True)
def _only_ours(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills", "incidents", "hazards", "rectification")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def lead_messages(fake):
    return [m for m in fake.messages.get("C0LEAD", []) if not m.get("thread_ts")]


@pytest.fixture
def rbot(db_url, fake_slack):
    clock = FrozenClock(L(2026, 11, 1, 9, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def test_monthly_report_once_across_two_processes_with_charts_in_its_thread(rbot, fake_slack):
    seed(rbot.ctx)
    other = Context(org=rbot.ctx.org, engine=rbot.ctx.engine, clock=rbot.clock)  # a second replica
    when = L(2026, 11, 1, 9, 0)
    results = []
    threads = [threading.Thread(target=lambda c=c: results.append(jobs.run_job(c, JOB, when)))
               for c in (rbot.ctx, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    rbot.ctx.wake()
    wait_until(lambda: any(m.get("subtype") == "file_share" for m in fake_slack.messages.get("C0LEAD", [])),
               what="the charts in the report's thread")
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    posts = lead_messages(fake_slack)
    assert len(posts) == 1
    text = str(posts[0]["blocks"])
    assert "安全指标月报 · 2026-10" in text
    assert "隐患整改完成率" in text and "25%" in text and "目标值98%" in text
    assert ":red_circle:" in text and ":large_green_circle:" in text
    assert "缺数据" in text  # training participation, complaints: not given
    shared = [m for m in fake_slack.messages["C0LEAD"] if m.get("subtype") == "file_share"]
    assert len(shared) == 1 and shared[0]["thread_ts"] == posts[0]["ts"]
    assert [f["name"] for f in shared[0]["files"]] == [
        "2026-10-hazards-by-week.png", "2026-10-time-to-acknowledge.png", "2026-10-completion-by-team.png",
        "2026-10-indicators-vs-targets.png"]
    old_ids = {f["id"] for f in shared[0]["files"]}
    for f in shared[0]["files"]:
        w, h = png_size(fake_slack.file_bytes[f["id"]])
        assert (w, h) == (800, 450)
    methods = [c.method for c in fake_slack.calls]
    assert methods.count("files.getUploadURLExternal") == 4 and methods.count("upload") == 4
    assert methods.count("files.completeUploadExternal") == 1
    # each team's own line in its channel
    team_b = [m["text"] for m in fake_slack.messages.get("C0TEAMB", [])]
    assert len(team_b) == 1 and "Hotline B" in team_b[0] and "超期整改项1项" in team_b[0]
    assert "整改时限2026-10-20 · 超期" in team_b[0] and "2026-10-30" not in team_b[0]  # A's item: not B's part
    # a catch-up run of the same moment, or a restart: nothing more
    assert jobs.run_job(other, JOB, when) is False

    # posting the month again (corrected figures): the same message is edited, not a second one
    with session_scope(rbot.ctx.engine) as s:
        from bot.indicators import figures

        figures.store(s, figures.parse("month,key,value\n2026-10,training_attended,10\n"
                                       "2026-10,training_expected,10\n"), "U0OFFICER", rbot.clock.now())
    assert offline.post_now(rbot.ctx, "2026-10") is False
    rbot.ctx.wake()
    wait_until(lambda: any(c.method == "chat.update" and c.params.get("channel") == "C0LEAD"
                           for c in fake_slack.calls), what="the report edited")
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    posts = lead_messages(fake_slack)
    assert len(posts) == 1 and posts[0].get("edited")
    assert "100%" in str(posts[0]["blocks"])  # training participation now given
    assert len([m for m in fake_slack.messages.get("C0TEAMB", []) if not m.get("thread_ts")]) == 1
    # its charts are replaced, not uploaded a second time: the old files deleted, exactly one set in the thread
    wait_until(lambda: len([c for c in fake_slack.calls if c.method == "files.completeUploadExternal"]) == 2,
               what="the corrected charts")
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    deleted = {c.params.get("file") for c in fake_slack.calls if c.method == "files.delete"}
    assert deleted == old_ids
    shared = [m for m in fake_slack.messages["C0LEAD"] if m.get("subtype") == "file_share"]
    assert len(shared) == 1 and len(shared[0]["files"]) == 4 and shared[0]["thread_ts"] == posts[0]["ts"]
    assert not {f["id"] for f in shared[0]["files"]} & old_ids
    assert set(fake_slack.files) == {f["id"] for f in shared[0]["files"]}  # no old chart left anywhere
    # and a third time (a re-run): still one set, the second set's files deleted
    assert offline.post_now(rbot.ctx, "2026-10") is False
    rbot.ctx.wake()
    wait_until(lambda: len([c for c in fake_slack.calls if c.method == "files.completeUploadExternal"]) == 3,
               what="the charts again")
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    shared = [m for m in fake_slack.messages["C0LEAD"] if m.get("subtype") == "file_share"]
    assert len(shared) == 1 and len(fake_slack.files) == 4
    assert len([c for c in fake_slack.calls if c.method == "files.delete"]) == 8


def test_a_second_post_while_the_first_charts_are_uploading_queues_nothing_one_set_stays(rbot, fake_slack,
                                                                                        monkeypatch):
    """`--post` run twice for a month while the first run's charts are being uploaded: their files are not known yet
    (so not deletable), and a second set would stay beside them. The second run queues nothing (`StillSending`,
    its claim and everything rolled back); once the first is delivered, a post replaces it as before."""
    from sqlalchemy import select

    from bot import outbox
    from storage.models import JobRun, OutboxMessage

    seed(rbot.ctx)
    real_upload, release, uploading = outbox.upload, threading.Event(), threading.Event()

    def held_upload(client, payload):  # the charts' upload, in flight until the test lets it go
        uploading.set()
        assert release.wait(30), "never released"
        return real_upload(client, payload)

    monkeypatch.setattr(outbox, "upload", held_upload)
    second = report.prepare(rbot.ctx, "2026-10")  # drawn beforehand: the second run's transaction is what counts
    assert report.post(rbot.ctx, "2026-10") is True
    try:
        assert uploading.wait(20), "the charts never started uploading"
        with pytest.raises(report.StillSending):
            with session_scope(rbot.ctx.engine) as s:
                report.queue(rbot.ctx, s, second, rbot.clock.now())
    finally:
        release.set()
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    shared = [m for m in fake_slack.messages["C0LEAD"] if m.get("subtype") == "file_share"]
    assert len(shared) == 1 and len(fake_slack.files) == 4  # one set of charts in the thread, none beside it
    assert not [c for c in fake_slack.calls if c.method == "files.delete"]
    with session_scope(rbot.ctx.engine) as s:
        uploads = s.execute(select(OutboxMessage.status).where(OutboxMessage.method == "files.uploadV2")).scalars().all()
        runs = s.execute(select(JobRun).where(JobRun.job == report.POST_JOB)).scalars().all()
    assert uploads == ["sent"] and len(runs) == 1  # the month's post claimed once
    # delivered: posting the month again replaces its charts, one set still
    assert report.post(rbot.ctx, "2026-10") is False
    wait_until(lambda: len([c for c in fake_slack.calls if c.method == "files.completeUploadExternal"]) == 2,
               what="the charts replaced")
    wait_until(lambda: outbox_settled(rbot.ctx.engine), what="the outbox settled")
    shared = [m for m in fake_slack.messages["C0LEAD"] if m.get("subtype") == "file_share"]
    assert len(shared) == 1 and len(fake_slack.files) == 4
    assert len(lead_messages(fake_slack)) == 1


def test_two_first_posts_of_a_month_at_once_post_one_message(seeded):
    """Two `--post` runs of a month not posted before, the second queuing while the first's transaction is still
    open: the month's claim (`job_run`, taken first) holds the second until the first commits, so it edits what
    the first posted instead of posting a second report (PostgreSQL; SQLite's writers queue at BEGIN anyway)."""
    import time

    from sqlalchemy import select

    from storage.models import OutboxMessage

    prepared = report.prepare(seeded, "2026-10", charts=False)
    first_queued, errors = threading.Event(), []

    def first():
        try:
            with session_scope(seeded.engine) as s:
                report.queue(seeded, s, prepared, seeded.clock.now())
                first_queued.set()
                time.sleep(1.0)  # still open when the second one queues
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            first_queued.set()

    one = threading.Thread(target=first)
    one.start()
    assert first_queued.wait(20)
    with session_scope(seeded.engine) as s:
        report.queue(seeded, s, prepared, seeded.clock.now())
    one.join(20)
    assert not errors
    with session_scope(seeded.engine) as s:
        rows = s.execute(select(OutboxMessage.method).where(OutboxMessage.ordering_key == "indicators:2026-10")
                         .order_by(OutboxMessage.id)).scalars().all()
    assert rows == ["chat.postMessage", "chat.update"]


def test_offline_report_files(seeded, tmp_path):
    for fmt in ("md", "csv", "xlsx"):
        written = offline.write_files(seeded, "2026-10", fmt, str(tmp_path / fmt))
        assert written[0].name == f"safeshift-indicators-2026-10.{fmt}"
        assert [p.suffix for p in written[1:]] == [".png"] * 4
        for p in written[1:]:
            assert png_size(p.read_bytes()) == (800, 450)
    md = (tmp_path / "md" / "safeshift-indicators-2026-10.md").read_text(encoding="utf-8")
    assert "| 隐患整改完成率 | 25% | 98% | 0% | ❌ |"  # September: one item due, closed late in md
    assert "Hotline B：班前自查无班次" in md
    assert "## 各岗位考核的安全指标（责任制第6.2.1条）" in md and "- 业务主管：隐患整改完成率" in md
    # §4.3.2 the progress list: items open at the month's end, by team (the team of the most overdue first), the
    # overdue first (A's was closed only in November)
    import re

    progress = re.findall(r"^- HZ-2026-\d{5} · (.*)$", md.split("## 整改进度")[1], re.M)
    assert progress == ["整改中 · 整改时限2026-10-20 · 超期", "整改中 · 整改时限2026-11-05",
                        "月末后已关闭隐患项 · 整改时限2026-10-30 · 超期"]
    rows = list(csv.reader(io.StringIO((tmp_path / "csv" / "safeshift-indicators-2026-10.csv")
                                       .read_text(encoding="utf-8-sig"))))
    by_key = {r[1]: r for r in rows[1:]}
    assert by_key["rectification_rate"][2:7] == ["25.0", "ok", "1", "4", "98.0"]
    assert by_key["training_participation"][2:4] == ["", "missing"]
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "xlsx" / "safeshift-indicators-2026-10.xlsx")
    assert wb["2026-10"]["B3"].value == "rectification_rate" and wb["2026-10"]["C3"].value == 25.0


def test_cli_report_and_figures(seeded, tmp_path, monkeypatch, db_url):
    from bot import cli

    org_file = tmp_path / "org.yaml"
    from tests.conftest import ORG_YAML

    org_file.write_text(ORG_YAML, encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SAFESHIFT_CONFIG", str(org_file))
    figures_csv = tmp_path / "figures.csv"
    figures_csv.write_text("month,key,value\n2026-10,calls_handled,20000\n", encoding="utf-8")
    assert cli.main(["figures", "import", str(figures_csv), "--by", "U0OFFICER"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("month,key,value\n2026-10,calls,1\n", encoding="utf-8")
    assert cli.main(["figures", "import", str(bad)]) == 2
    assert cli.main(["report", "monthly", "--month", "2026-13"]) == 2
    assert cli.main(["report", "monthly", "--month", "2026-10", "--format", "csv", "--out", str(tmp_path / "o")]) == 0
    text = (tmp_path / "o" / "safeshift-indicators-2026-10.csv").read_text(encoding="utf-8-sig")
    assert "conflict_rate,0.5,ok,1,20000" in text


def test_charts_use_a_cjk_font_and_no_glyph_is_missing(seeded, caplog):
    font = charts.cjk_font()
    from matplotlib import font_manager

    on_disk = [p for p in font_manager.findSystemFonts() if any(k in p for k in charts.CJK_FILES)]
    assert font is not None or not on_disk, f"a CJK font is installed ({on_disk[0]}) but the charts did not find it"
    if font is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=font), fallback_to_default=False)
    assert "CJK" in path or "wqy" in path.lower() or "Han" in path, path
    with session_scope(seeded.engine) as s:
        r = report.build(seeded, s, "2026-10")
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        files = charts.render_all(seeded, r)
    missing = [str(w.message) for w in seen if "missing from" in str(w.message)]
    missing += [r.getMessage() for r in caplog.records if "missing from" in r.getMessage()]
    assert not missing, missing
    assert files[0][1] == "每周新增与处理完毕的隐患"  # labelled in Chinese


def test_charts_without_a_cjk_font_fall_back_to_english(seeded, monkeypatch, caplog):
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font",))
    charts.cjk_font.cache_clear()
    try:
        with session_scope(seeded.engine) as s:
            r = report.build(seeded, s, "2026-10")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            files = charts.render_all(seeded, r)
        assert charts.chart_locale("zh-CN") == ("en", None)
        assert files[0][1] == "Hazards opened and closed by week"
        assert not [w for w in seen if "missing from" in str(w.message)]
        assert png_size(files[0][2]) == (800, 450)
    finally:
        charts.cjk_font.cache_clear()


def slash(bot, user: str, text: str):
    import uuid

    from bot import ids

    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0SAFETY", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.SAFESHIFT_COMMAND, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def test_safeshift_figures_form(rbot, fake_slack):
    import json

    from bot import ids
    from bot.indicators import figures

    # an agent may not; a bad month is explained; `/safeshift schedule` still answers as before
    assert "只有安全专员" in slash(rbot, "U0AGENT1", "figures")["text"]
    assert "2026-11" in slash(rbot, "U0OFFICER", "figures 2026-13")["text"]
    assert not fake_slack.of("views.open")
    assert "只有安全专员" not in str(slash(rbot, "U0OFFICER", "schedule"))
    assert not fake_slack.of("views.open")
    # the month before by default (it is 1 November): five number fields, what was given filled in
    with session_scope(rbot.ctx.engine) as s:
        figures.store(s, [("2026-10", "calls_handled", 20000.0)], "cli", rbot.clock.now())
    slash(rbot, "U0OFFICER", "figures")
    view = fake_slack.wait_for(lambda c: c.method == "views.open")[0].params["view"]
    assert json.loads(view["private_metadata"]) == {"month": "2026-10"}
    assert [b["block_id"] for b in view["blocks"][1:]] == list(figures.KEYS)
    assert view["blocks"][1]["element"]["initial_value"] == "20000"
    meta = view["private_metadata"]
    # not a whole number: an inline error, nothing stored
    status, body = rbot.submit("U0OFFICER", {"complaints_received": "4.5"}, callback_id=ids.FIGURES_VIEW,
                               private_metadata=meta)
    assert status == 200 and "complaints_received" in body["errors"]
    status, body = rbot.submit("U0OFFICER", {"complaints_received": "3", "safety_complaints": "5"},
                               callback_id=ids.FIGURES_VIEW, private_metadata=meta)
    assert "safety_complaints" in body["errors"]
    # an agent's forged submission is refused
    status, body = rbot.submit("U0AGENT1", {"complaints_received": "40"}, callback_id=ids.FIGURES_VIEW,
                               private_metadata=meta)
    assert "errors" in body
    with session_scope(rbot.ctx.engine) as s:
        assert figures.values(s, "2026-10") == {"calls_handled": 20000.0}
    status, body = rbot.submit("U0OFFICER", {"calls_handled": "21000", "complaints_received": "40",
                                             "safety_complaints": "1", "training_attended": None},
                               callback_id=ids.FIGURES_VIEW, private_metadata=meta)
    assert status == 200 and "errors" not in body
    with session_scope(rbot.ctx.engine) as s:
        assert figures.values(s, "2026-10") == {"calls_handled": 21000.0, "complaints_received": 40.0,
                                                "safety_complaints": 1.0}
        m = report.build(rbot.ctx, s, "2026-10")["current"]
    assert m.figures["safety_complaint_share"].value == 2.5
    assert m.figures["training_participation"].state == "missing"  # left empty: still missing, not 0
    wait_until(lambda: any("的3项数据" in (x.get("text") or "") for x in fake_slack.messages.get("D0OFFICER", [])),
               what="the confirmation DM")
