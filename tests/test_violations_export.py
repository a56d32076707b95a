"""The violations ledger's export (#24, §3.6.2): `/violation export [csv|xlsx]` through really signed HTTP sends the
whole ledger as a file to the asker's direct messages, for the ledger's group only (every other role is refused
and nothing is uploaded anywhere); `safeshift export violations` is the operator's, on the server."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from storage.db import session_scope
from storage.models import Violation
from tests.conftest import outbox_settled, wait_until
from tests.test_violations import HEAD, OFFICER, OTHERS, _no_jobs, cmd, local, vbot  # noqa: F401 - fixtures

D = __import__("datetime").date


def seed(bot):
    with session_scope(bot.ctx.engine) as s:
        for n, (person, day, what) in enumerate((("U0AGENT1", 3, "在工位吸烟"), ("U0AGENT3", 10, "=HYPERLINK(1)"))):
            s.add(Violation(source_key=f"x{n}", person_id=person, what=what, occurred_on=D(2026, 9, day),
                            step="oral_warning", recorded_by=HEAD, recorded_at=local(2026, 9, day, 12)))


def test_only_the_ledgers_group_gets_the_export_and_only_in_its_dm(vbot, fake_slack):
    seed(vbot)
    for user in OTHERS:
        answer = str(cmd(vbot, user, "export xlsx"))
        assert "本次操作未生效" in answer and "在工位吸烟" not in answer
    vbot.ctx.wake()
    wait_until(lambda: outbox_settled(vbot.ctx.engine), what="the outbox settled")
    assert not fake_slack.files  # nothing uploaded for anyone of them

    assert "共2条" in str(cmd(vbot, HEAD, "export xlsx"))
    vbot.ctx.wake()
    wait_until(lambda: fake_slack.files and all(x.get("uploaded") for x in fake_slack.files.values()),
               what="the ledger uploaded")
    wait_until(lambda: outbox_settled(vbot.ctx.engine), what="the outbox settled")
    (file_id, f), = fake_slack.files.items()
    assert f["name"] == "violations-2026-09-14.xlsx"
    shared_in = [ch for ch, ms in fake_slack.messages.items() for m in ms if m.get("subtype") == "file_share"]
    assert shared_in == ["D0HEAD"]  # the head's DM, no channel
    ws = load_workbook(io.BytesIO(fake_slack.file_bytes[file_id]))["violations"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][:4] == ["id", "person", "occurred_on", "what"] and len(rows) == 3
    assert rows[1][1:2] + rows[1][3:4] == ["U0AGENT1", "在工位吸烟"] and rows[2][3] == "=HYPERLINK(1)"
    assert ws.cell(row=3, column=4).data_type == "s"  # a text, never a formula

    assert "共2条" in str(cmd(vbot, OFFICER, "export"))  # CSV by default
    vbot.ctx.wake()
    wait_until(lambda: len(fake_slack.files) == 2 and all(x.get("uploaded") for x in fake_slack.files.values()),
               what="the CSV uploaded")
    data = next(fake_slack.file_bytes[i] for i, x in fake_slack.files.items() if x["name"].endswith(".csv"))
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[2][3] == "'=HYPERLINK(1)" and table[1][1] == "U0AGENT1"
    assert "请输入" in str(cmd(vbot, HEAD, "export pdf"))
    # each export that left the bot is on the audit log: who, which format, how many entries (a refusal is not one)
    from sqlalchemy import select

    from storage.models import AuditEvent
    with session_scope(vbot.ctx.engine) as s:
        done = [(a.actor, a.after) for a in s.execute(select(AuditEvent).where(
            AuditEvent.action == "violations_exported").order_by(AuditEvent.id)).scalars()]
    assert done == [(HEAD, {"format": "xlsx", "entries": 2}), (OFFICER, {"format": "csv", "entries": 2})]


def test_cli_export_violations(vbot, tmp_path, monkeypatch, db_url):
    from bot import cli
    from tests.conftest import ORG_YAML

    seed(vbot)
    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG_YAML, encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SAFESHIFT_CONFIG", str(org_file))
    out = tmp_path / "v.csv"
    assert cli.main(["export", "violations", "--from", "2026-09-05", "-o", str(out)]) == 0
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(table) == 2 and table[1][1] == "U0AGENT3"  # the 3 September entry is before --from


def test_the_export_answers_before_the_file_is_made_and_a_failure_afterwards_is_told_in_a_dm(vbot, fake_slack,
                                                                                            monkeypatch):
    """Slack waits 3 s for a slash command's answer: the ledger's file is made once the command is answered
    (a long ledger's XLSX takes longer), and a failure after the answer reaches the asker as a DM."""
    import threading

    from sqlalchemy import select

    from bot.violations import export
    from storage.models import AuditEvent

    seed(vbot)
    real_render, release, making = export.render, threading.Event(), threading.Event()

    def slow_render(*args, **kwargs):  # a ledger that takes long to write
        making.set()
        assert release.wait(20), "never released"
        return real_render(*args, **kwargs)

    monkeypatch.setattr(export, "render", slow_render)
    answers = []
    asking = threading.Thread(target=lambda: answers.append(cmd(vbot, HEAD, "export xlsx")))
    asking.start()
    try:
        wait_until(lambda: answers, timeout=5, what="the answer while the file is still being made")
        assert "共2条" in str(answers[0])
        assert making.wait(5) and not fake_slack.files  # the file is made after the answer, not before
    finally:
        release.set()
        asking.join(20)
    wait_until(lambda: fake_slack.files and all(x.get("uploaded") for x in fake_slack.files.values()),
               what="the ledger uploaded")

    def broken_render(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "render", broken_render)
    assert "共2条" in str(cmd(vbot, OFFICER, "export"))
    wait_until(lambda: any("导出失败" in str(m.get("text")) for m in fake_slack.messages.get("D0OFFICER", [])),
               what="the failure told in the asker's DM")
    wait_until(lambda: outbox_settled(vbot.ctx.engine), what="the outbox settled")
    assert len(fake_slack.files) == 1  # nothing half-made was sent
    with session_scope(vbot.ctx.engine) as s:
        done = [a.actor for a in s.execute(select(AuditEvent).where(AuditEvent.action == "violations_exported"))
                .scalars()]
    assert done == [HEAD]  # only the export that left the bot
