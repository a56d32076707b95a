"""Every template renders valid Block Kit in both languages; catalogs are complete; user text is escaped."""

import datetime as dt
import json

import pytest

from bot import i18n
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import forms
from bot.hazards.present import card_payload
from storage.models import Report
from tests.conftest import org_from
from tests.slackschema import block_errors, view_errors

NOW = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.timezone.utc)
NASTY = "<!channel> <!here> <@U999> <https://evil.example|click> & *bold* ```x 🔥 مرحبا \u200b" + "长" * 3000


def test_catalogs_have_the_same_keys():
    en, zh = set(i18n.catalog("en")), set(i18n.catalog("zh-CN"))
    assert en == zh, en ^ zh
    for key in en:  # and every entry compiles
        i18n._compiled("p", "en", key)
        i18n._compiled("p", "zh-CN", key)


def test_mrkdwn_values_are_escaped_and_mentions_are_not():
    out = i18n.t("en", "thread.resolved", who=i18n.mention("U1"), number="HZ-1", note="<!channel> & <@U2>")
    assert "<@U1>" in out and "&lt;!channel&gt; &amp; &lt;@U2&gt;" in out and "<!channel>" not in out


def _report(**kw):
    base = dict(id=1, number="HZ-2026-00042", year=2026, seq=42, source_key="V1", category="electrical", level=1,
                location=NASTY, description=NASTY, suggestion=NASTY, photos=[
                    {"id": "F1", "filetype": "jpg", "permalink": "https://files.example/F1"},
                    {"id": "F2", "filetype": "pdf", "permalink": "https://files.example/F2"}],
                reporter_id="U0AGENT1", team="Hotline A", status="open", reported_at=NOW,
                respond_due_at=NOW + dt.timedelta(minutes=30), resolve_due_at=NOW + dt.timedelta(hours=24))
    base.update(kw)
    return Report(**base)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("state", ["open", "acknowledged", "resolved", "overdue"])
def test_card_is_valid_block_kit_in_every_state(locale, state):
    org = org_from(base=None or __import__("tests.conftest", fromlist=["ORG_YAML"]).ORG_YAML.replace("locale: zh-CN", f"locale: {locale}"))
    extra = {}
    if state in ("acknowledged", "resolved"):
        extra.update(status=state, acknowledged_at=NOW + dt.timedelta(minutes=12), acknowledged_by="U0SUPA")
    if state == "resolved":
        extra.update(resolved_at=NOW + dt.timedelta(hours=1), resolved_by="U0SUPA", resolution_note=NASTY)
    if state == "overdue":
        extra.update(overdue=True)
    payload = card_payload(org, _report(**extra), "C0SAFETY", NOW)
    assert not block_errors(payload["blocks"]), block_errors(payload["blocks"])[:3]
    dumped = json.dumps(payload, ensure_ascii=False)
    assert "<!channel>" not in dumped and "<!here>" not in dumped and "<@U999>" not in dumped
    assert "<https://evil" not in dumped
    assert payload["text"]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_forms_and_answers_are_valid(locale, engine):
    org = org_from()
    ctx = Context(org=org, engine=engine, clock=FrozenClock(NOW))
    form = forms.report_form(ctx, locale, NASTY, {"channel": "C1"})
    assert not view_errors(form), view_errors(form)[:3]
    report = _report()
    assert not view_errors(forms.resolve_form(ctx, report, locale))
    assert not view_errors(forms.confirmation_view(ctx, report, ["U0SUPA"], locale))
