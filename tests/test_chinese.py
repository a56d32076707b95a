"""Chinese that reads like the responsibility system itself (issue #14, shared/GLOSSARY.md).

Every catalog entry and every template is rendered in both languages with realistic values, every
`{% if %}` taken both ways (tests/chinese_branches.py), and the result must not have: a `*`/`_` marker
touching Chinese or full-width punctuation from outside (Slack then shows raw asterisks), a bracket inside
a bracket of the same kind (（一级（重大））), a term the glossary says to avoid, a space between a number
and a Chinese unit, "。 " between sentences, nor the classes of the December 2026 review (#25,
tests/chinese_artefacts.py): a raw identifier or escaped mention, 您, a mention printed twice, a zero
duration, an IANA zone in Chinese, 班 appended to a shift name, 班组 / 本组 for the team.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from bot import i18n
from bot.i18n import Mrkdwn, channel_link, fmt_minutes, join_list, mention
from bot.render import _env as template_env
from bot.render import render, space_mrkdwn, text_blocks
from tests.chinese_artefacts import artefacts
from tests.chinese_branches import apply, variants
from tests.chinese_checks import check_contexts, check_samples
from tests.chinese_drills import drill_contexts
from tests.chinese_rectification import rect_contexts, rect_samples
from tests.chinese_training import training_contexts, training_samples
from tests.chinese_voice import voice_samples

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p.name[: -len(".json.j2")] for p in (ROOT / "bot" / "templates").glob("*.json.j2"))
LOCALES = ("zh-CN", "en")

# The glossary's "avoid" column (shared/GLOSSARY.md), as it applies to the bot's zh-CN text.
AVOID_ZH = {
    "确认": "acknowledge is 响应 (确认 is sign-off or verification in the document)",
    "解决": "resolve is 处理",
    "关闭": "resolve is 处理 (关闭隐患项 is only the close after a passed verification, §4.3.3)",
    "较大": "level 2 is 中等 (较大 is the legal accident grade)",
    "逾期": "overdue is 超时 (response) / 超期 (processing)",
    "升级通报": "escalation is 升级督办",
    "进展": "progress is 进度",
    "外露": "exposed is 裸露",
    "每周隐患汇总": "the weekly summary is 隐患周报",
}
AVOID_EN = {"serious": "level 2 is moderate"}
LEVELS = {
    "zh-CN": {1: "一级（重大）", 2: "二级（中等）", 3: "三级（一般）"},
    "en": {1: "Level 1 (major)", 2: "Level 2 (moderate)", 3: "Level 3 (general)"},
}
CATEGORIES = {
    "zh-CN": ["用电安全", "消防安全", "设备故障", "信息安全", "客户冲突", "其他"],
    "en": ["Electrical", "Fire safety", "Equipment fault", "Information security", "Customer conflict", "Other"],
}
CN_UNITS = "秒|分钟|小时|天|个|张|项|条|次|份|人"

_PROTECTED = re.compile(r"```.*?```|`[^`\n]+`|<[^<>\n]*>|:[a-z0-9][a-z0-9_+'\-]*:", re.DOTALL)
_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u3000-\u303f]")


# --------------------------------------------------------------------------- the checks
def touching_markers(text: str) -> list[str]:
    """`*` or `_` with non-space on both sides and Chinese / full-width punctuation on one of them.

    Independent of `i18n.space_markers` on purpose (a plain character test, not its pair parser).
    """
    plain = _PROTECTED.sub(lambda m: "x" * len(m.group()), text)
    bad = []
    for m in re.finditer(r"[*_]", plain):
        i = m.start()
        before = plain[i - 1] if i else " "
        after = plain[i + 1] if i + 1 < len(plain) else " "
        if before.isspace() or after.isspace():
            continue
        if _WIDE.match(before) or _WIDE.match(after):
            bad.append(plain[max(0, i - 8): i + 9])
    return bad


def nested_brackets(text: str) -> list[str]:
    bad = []
    for opening, closing in ("（）", "【】", "()"):
        depth = 0
        for i, ch in enumerate(text):
            if ch == opening:
                depth += 1
                if depth > 1:
                    bad.append(text[max(0, i - 12): i + 12])
            elif ch == closing:
                depth = max(0, depth - 1)
    return bad


def avoided_terms(text: str, locale: str) -> list[str]:
    if locale == "en":
        return [f"{term}: {why}" for term, why in AVOID_EN.items() if re.search(rf"\b{term}\b", text, re.I)]
    bad = [f"{term}: {why}" for term, why in AVOID_ZH.items() if term in text.replace("关闭隐患项", "")]
    # 整改报告 (§4.3), 专项报告 (§3.2.2) and 调查报告 (§5.2.2) are the document's own names for those papers
    if "报告" in text.replace("整改报告", "").replace("专项报告", "").replace("调查报告", ""):
        bad.append("报告: the item is 隐患 / 隐患项; a person's act is 上报")
    return bad


def spacing(text: str, locale: str) -> list[str]:
    if locale != "zh-CN":
        return []
    bad = [m.group() for m in re.finditer(rf"\d\s+(?:{CN_UNITS})", text)]
    bad += [m.group() for m in re.finditer(r"[。！？；，] +(?![*_\s])", text)]
    return bad


def problems(text: str, locale: str, mrkdwn: bool = True) -> list[str]:
    out = [f"bracket in bracket: {x!r}" for x in nested_brackets(text)]
    out += [f"avoid {x}" for x in avoided_terms(text, locale)]
    out += [f"spacing: {x!r}" for x in spacing(text, locale)]
    out += artefacts(text, locale, mrkdwn)
    if mrkdwn:
        out += [f"marker touches CJK: {x!r}" for x in touching_markers(text)]
    return out


def texts(node, mrkdwn: bool = True):
    """(text, is_mrkdwn) of every text object and fallback in a rendered structure."""
    if isinstance(node, list):
        for item in node:
            yield from texts(item)
    elif isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"], node.get("type") != "plain_text"
        for key, value in node.items():
            if isinstance(value, (list, dict)):
                yield from texts(value)


def check_tree(tree, locale: str, where: str) -> list[str]:
    return [f"{where}: {p} in {text!r}" for text, md in texts(tree) for p in problems(text, locale, md)]


@functools.lru_cache(maxsize=1)
def _plans() -> dict:
    return yaml.safe_load((ROOT / "bot" / "plans_default.yaml").read_text(encoding="utf-8"))


def incident_contexts(locale: str, v: dict, t) -> dict:
    """Sample contexts of the incident and plan templates (#9)."""
    inc = policy()["incident"]
    levels = [{"value": str(k), "name": lv["name"][locale], "hint": lv["hint"][locale]} for k, lv in inc["levels"].items()]
    kinds = [{"value": k, "label": i18n.tp(locale, "incident.modal.kind_option", name=c[locale],
                                           level=inc["levels"][c["level"]]["name"][locale])}
             for k, c in inc["categories"].items()]
    plan = _plans()["fire"]
    steps = Mrkdwn("\n".join(t("plan.step", n=n, text=s[locale]) for n, s in enumerate(plan["steps"], 1)))
    return {
        "incident_card": dict(number=v["number"], level=v["level"], status=v["status"], kind=v["kind"],
                              location=v["location"], description=v["description"], affected=v["note"],
                              actions_taken=v["note"], reporter=v["reporter"], reported_at=v["when"],
                              respond_by=v["due"], resolve_by=v["resolve"], people=v["people"], zone=v["zone"],
                              source_link=v["url"], text_max=2800, on_site_line=t("incident.card.on_site_line"),
                              acked_line=t("card.acked_line"), resolved_line=t("card.resolved_line"),
                              overdue_line=t("card.overdue_line"), unknown_reporter=True, show_ack=True,
                              show_open=True, show_on_site=True, value=v["number"],
                              task_lines=[t("incident.task.investigation_done_line"), t("incident.task.due_line"),
                                          t("incident.task.actions_progress")],
                              tasks=[{"action_id": "incident_postmortem",
                                      "label": i18n.tp(locale, "incident.task.postmortem_title")}]),
        "incident_cases": dict(title=i18n.tp(locale, "incident.cases.title", month="2026-10"),
                               counts=t("incident.cases.counts", parts=Mrkdwn(t("incident.cases.level_part"))),
                               lines=[t("incident.cases.line"), t("incident.cases.more")],
                               stale=t("incident.cases.stale_plans")),
        "incident_task_modal": dict(private_metadata="{}", summary=t("commands.status_title"), task="investigation",
                                    text_max=2000, rows=[1, 2, 3]),
        "incident_modal": dict(private_metadata="{}", kinds=kinds, levels=levels, description=v["description"],
                               description_max=2000, location_max=200, affected_max=500, actions_max=2000,
                               source_link=v["url"]),
        "incident_confirm": dict(number=v["number"], body=Mrkdwn(t("incident.confirm.no_plan") + t("incident.confirm.paged")),
                                 plan={"name": plan["name"][locale], "steps": steps,
                                       "route": plan["evacuation_route"][locale],
                                       "assembly": plan["assembly_point"][locale]}),
        "incident_level_modal": dict(private_metadata="{}", summary=t("commands.status_title"), levels=levels,
                                     reason_max=2000),
        "plan": dict(plan_name=plan["name"][locale], template=True, reviewed="2026-10-01",
                     trigger=plan["trigger"][locale], steps=steps, roles=v["roles"], people=v["people"],
                     contacts=[c[locale] for c in plan["contacts"]], route=plan["evacuation_route"][locale],
                     assembly=plan["assembly_point"][locale]),
        "plan_review_dm": dict(text=t("incident.cases.stale_dm"),  # #21 §5.1.1
                               plans=[{"key": "fire", "name": plan["name"][locale]}]),
        "plan_list": dict(unknown="消防演练" if locale == "zh-CN" else "fire drill",
                          plans=[{"key": "fire", "name": plan["name"][locale], "template": True,
                                  "trigger": plan["trigger"][locale]}]),
    }


# --------------------------------------------------------------------------- realistic values
@functools.lru_cache(maxsize=1)
def _policy_text() -> str:
    return (ROOT / "bot" / "policy_default.yaml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _policy_parsed() -> dict:
    return yaml.safe_load(_policy_text())


def policy() -> dict:
    """The built-in policy as data (parsed once: it is read for every sample value)."""
    return copy.deepcopy(_policy_parsed())


def samples(locale: str) -> dict:
    zh = locale == "zh-CN"
    pol = policy()["hazard"]
    level = pol["levels"][2]["name"][locale]
    people = Mrkdwn(f"{mention('U0RESP1')} {mention('U0RESP2')}")
    values = dict(
        number="HZ-2026-00042", lead="HZ-2026-00041", example="HZ-2026-00042",
        level=level, category=pol["categories"]["fire"][locale], name=pol["categories"]["fire"][locale],
        location="第3排12号工位" if zh else "row 3, desk 12",
        description="工位下电源线裸露" if zh else "exposed power cord under the desk",
        note="已更换电源线并固定" if zh else "cord replaced and taped down",
        text="已更换电源线并固定" if zh else "cord replaced and taped down",
        who=mention("U0SUPA"), reporter=mention("U0AGENT1"), mentions=people, responders=people, holders=people,
        within=fmt_minutes(locale, 13 * 7 * 86400), plans="火灾应急预案、停电应急预案" if zh else "Fire, Power cut",
        when="2026-11-28 14:30", due="2026-11-28 14:30", on_site_by="2026-11-28 14:40", respond="2026-11-28 14:30", resolve="2026-11-29 14:00",
        took=fmt_minutes(locale, 1830), late_by=fmt_minutes(locale, 11100), age=fmt_minutes(locale, 190000),
        median=fmt_minutes(locale, 720), worst=fmt_minutes(locale, 6600), target=fmt_minutes(locale, 1800),
        window=fmt_minutes(locale, 600), offset="UTC+8",
        n=3, max=2000, step=2, new=4, open=3, overdue=1, opened=12, closed=9, open_now=3, breached=1,
        status=i18n.tp(locale, "status.open") + " · " + i18n.tp(locale, "status.overdue"),
        what=i18n.tp(locale, "escalation.what_acknowledge"),
        roles=join_list(locale, [i18n.tp(locale, f"roles.{r}") for r in
                                 ("team_supervisors", "safety_officer", "leadership")]),
        icon=Mrkdwn(":warning:"), channel=channel_link("C0SAFETY"),
        link=i18n.t(locale, "escalation.link", channel=channel_link("C0SAFETY")),
        late=True, unknown=True, teams=join_list(locale, ["热线A组", "热线B组"] if zh else ["Hotline A", "Hotline B"], "and"),
        team="热线A组" if zh else "Hotline A", date="2026-11-28", start="2026-11-21", end="2026-11-28",
        numbers=i18n.tp(locale, "list.sep").join(["HZ-2026-00043", "HZ-2026-00044"]),
        url="https://files.example/F1", zone="Asia/Shanghai", first="2026-11-28", last="2027-11-28",
    )
    # incidents and plans (#9)
    inc = policy()["incident"]
    values.update(kind=inc["categories"]["customer_threat"][locale], people=people, raised=level,
                  old=pol["levels"][3]["name"][locale], new=pol["levels"][1]["name"][locale],
                  reason="客户称带了刀" if zh else "he says he has a knife", plan="火灾" if zh else "Fire",
                  course="客户在电话中威胁" if zh else "the caller threatened", cause="情绪失控" if zh else "anger",
                  responsibility="无" if zh else "none", actions=Mrkdwn("• x"),
                  month="2026-10", reported=5, handled=3, done="已报警" if zh else "police called",
                  changed=Mrkdwn("改进措施2项" if zh else "2 corrective action(s)"),
                  code="fire", trigger="办公区出现烟雾" if zh else "smoke in the office", template=True,
                  item="HZ-2026-00043")  # #21 §5.2.3 the rectification item a corrective action became
    values.update(rect_samples(locale))  # rectification (#11)
    values.update(check_samples(locale))  # checks (#10)
    values.update(voice_samples(locale))  # suggestions, violations (#24)
    values.update(training_samples(locale))  # training (#23)
    values["parts"] = Mrkdwn(" · ".join(
        i18n.t(locale, "digest.level_part", level=pol["levels"][k]["name"][locale], n=k, age=values["age"])
        for k in (1, 2)))
    return values


_env = SandboxedEnvironment()


def variables(locale: str, key: str) -> set[str]:
    globals_ = set(i18n._mrkdwn_env.globals)  # zone_name(): the catalogs' own helper
    return meta.find_undeclared_variables(_env.parse(i18n.catalog(locale)[key])) - globals_


def render_variants(locale: str, key: str, **override) -> list[tuple[dict, str]]:
    """The entry rendered once per side of each of its tests (tests/chinese_branches.py)."""
    values = samples(locale)
    values.update(override)
    missing = variables(locale, key) - set(values)
    assert not missing, f"{key}: no sample value for {missing} (add one to samples())"
    out = []
    for change in variants(_env.parse(i18n.catalog(locale)[key]), values):
        v = apply(values, change)
        out.append((change, i18n.t(locale, key, **{k: v[k] for k in variables(locale, key) if k in v})))
    return out


def render_key(locale: str, key: str, **override) -> str:
    values = samples(locale)
    values.update(override)
    missing = variables(locale, key) - set(values)
    assert not missing, f"{key}: no sample value for {missing} (add one to samples())"
    return i18n.t(locale, key, **{k: values[k] for k in variables(locale, key)})


def template_context(name: str, locale: str) -> dict:
    v = samples(locale)
    pol = policy()["hazard"]
    t = lambda key, **kw: render_key(locale, key, **kw)  # noqa: E731
    levels = [{"value": str(k), "name": lv["name"][locale], "hint": lv["hint"][locale]} for k, lv in pol["levels"].items()]
    categories = [{"value": k, "label": c[locale]} for k, c in pol["categories"].items()]
    line = t("home.line", status=i18n.tp(locale, "status.acknowledged"), what=v["description"])
    # the other side of the branches the contexts below leave None (#25)
    extra = {
        "check_task": dict(done=t("checks.done_line"), content_title=i18n.tp(locale, "checks.record.findings"),
                           content=v["note"], record=True,
                           findings=[{"n": 1, "id": "1", "text": v["description"], "filed": t("checks.record.filed_line")},
                                     {"n": 2, "id": "2", "text": v["note"], "filed": None}]),
        "risk_ask": dict(done=t("risks.ask.nothing_new_line")),
        "risk_register": dict(observations=[{"title": t("risks.observations_title", n=2),
                                             "lines": Mrkdwn(t("risks.observation_line", n=1))}]),
        "training_roster": dict(done=t("training.roster_saved")),
        "training_star": dict(done=t("training.star_picked")),
        "weekly": dict(section_lines=[Mrkdwn(t("rectification.digest_counts"))]),
        "hazard_card": dict(assignee=mention("U0IT")),
        "incident_cases": dict(checklists=[t("shifts.monthly_line", parts=t("shifts.rate_late"))]),
        "status": dict(joined=t("commands.status_joined"), separate=v["number"],
                       members=Mrkdwn(t("thread.grouped") + "\n" + t("thread.member_line"))),
    }
    contexts = {
        "confirm_view": dict(number=v["number"], body=Mrkdwn(t("confirm.body") + "\n" + t("confirm.grouped"))),
        "digest": dict(title=i18n.tp(locale, "digest.team_title", team=v["team"], date=v["date"]), counts=t("digest.counts"),
                       open_line=t("digest.open_by_level"), overdue_lines=Mrkdwn(t("digest.overdue_line") + "\n" + t("digest.more")),
                       new_lines=t("digest.new_line"), tta_line=t("digest.tta"),
                       context_lines=[Mrkdwn(t("digest.checks_title") + " " + t("digest.checks_none"))],
                       section_lines=[Mrkdwn(t("rectification.digest_counts") + "\n" + t("rectification.list_line")),
                                      Mrkdwn(t("digest.incidents") + "\n" + t("digest.incident_line"))],
                       notes=Mrkdwn("• " + v["note"])),
        "hazard_card": dict(number=v["number"], level=v["level"], level_n=2, category=v["category"], location=v["location"],
                            description=v["description"], suggestion=v["note"], reporter=v["reporter"],
                            reported_at=v["when"], respond_by=v["due"], resolve_by=v["resolve"], status=v["status"],
                            responders=v["responders"], unknown_reporter=True, photos=[
                                {"n": 1, "id": "F1", "url": v["url"], "image": True},
                                {"n": 2, "id": "F2", "url": v["url"], "image": False}],
                            zone=v["zone"], acked_line=t("card.acked_line"), resolved_line=t("card.resolved_line"),
                            overdue_line=t("card.overdue_line"), grouped_line=t("card.grouped"),
                            show_ack=True, show_resolve=True, value=v["number"]),
        "hazard_modal": dict(private_metadata="{}", levels=levels, categories=categories, initial_category=categories[1],
                             description=v["description"], description_max=2000, location_max=200, suggestion_max=1000,
                             max_photos=5),
        "home": dict(),
        "home_section": dict(title=t("home.held_team"), body=Mrkdwn(line + "\n" + line)),
        "resolve_modal": dict(private_metadata="{}", summary=t("commands.status_title"), note_max=1000,
                              title_key="incident.resolve.title"),
        "status": dict(title=t("commands.status_title"), due=Mrkdwn(t("commands.status_due") + "\n" + t("commands.status_joined")),
                       description=v["description"], timeline=Mrkdwn("\n".join(
                           t(f"timeline.{k}") for k in ("reported", "grouped", "acknowledged_with_group", "escalated",
                                                        "overdue", "separated", "acknowledged", "comment", "resolved")))),
        "weekly": dict(title=i18n.tp(locale, "weekly.title", start=v["start"], end=v["end"]), opened_closed=t("weekly.opened_closed"),
                       by_level=t("weekly.by_level", parts=Mrkdwn(t("weekly.part") + " · " + t("weekly.part"))),
                       by_category=t("weekly.by_category", parts=t("weekly.part")),
                       recurring=Mrkdwn("*" + i18n.tp(locale, "weekly.recurring_title").strip("*") + "*\n" + t("weekly.recurring_line")),
                       slowest=Mrkdwn("*" + i18n.tp(locale, "weekly.slowest_title").strip("*") + "*\n" + t("weekly.slowest_line"))),
        "group_thread": dict(header=t("thread.grouped"), more=t("timeline.more"),
                             members=[{"number": v["number"], "line": t("thread.member_line"), "open": True}],
                             ids=SimpleNamespace(SEPARATE_ACTION="hazard_separate")),
        **incident_contexts(locale, v, t),
        **rect_contexts(locale, v, t),
        **check_contexts(locale, v, t),
        **drill_contexts(locale, v, t),
        **training_contexts(locale, v, t),
    }
    assert name in contexts, f"template {name} has no sample context in tests/test_chinese.py: add one"
    context = contexts[name]
    # variables a template has gained since: a sample value (of the template's own, or a catalog sample); none is
    # an error (a None sample hid the other side of six templates' branches until #25)
    source = (ROOT / "bot" / "templates" / f"{name}.json.j2").read_text(encoding="utf-8")
    for var in meta.find_undeclared_variables(template_env().parse(source)) - {"t", "tp", "locale"} - set(context):
        context[var] = extra.get(name, {}).get(var, v.get(var))
    context.update({k: x for k, x in extra.get(name, {}).items() if context.get(k) is None})
    if "ids" in context and context["ids"] is None:
        context["ids"] = SimpleNamespace(SEPARATE_ACTION="hazard_separate")
    unset = sorted(k for k in meta.find_undeclared_variables(template_env().parse(source)) - {"t", "tp", "locale"}
                   if context.get(k) is None)
    assert not unset, f"template {name}: no sample for {unset} (add one to `extra` in template_context)"
    return context


def template_variants(name: str, locale: str) -> list[tuple[dict, dict]]:
    context = template_context(name, locale)
    source = (ROOT / "bot" / "templates" / f"{name}.json.j2").read_text(encoding="utf-8")
    keep = {"incident_task_modal": {"task"}}.get(name, set())  # picks the task's catalog keys: never empty
    return [(change, apply(context, change)) for change in variants(template_env().parse(source), context, keep)]


# --------------------------------------------------------------------------- every entry, every template
@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_entry_reads_like_the_document(locale):
    bad = []
    for key in sorted(i18n.catalog(locale)):
        for change, text in render_variants(locale, key):
            found = problems(text, locale)
            if key.startswith("units."):  # the unit itself: fmt_minutes never writes a zero of it
                found = [p for p in found if not p.startswith("zero duration")]
            bad += [f"{key} {change or ''}: {p} in {text!r}" for p in found]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_reads_like_the_document(name, locale):
    bad = []
    for change, context in template_variants(name, locale):
        tree = render(name, locale, **context)
        bad += check_tree(tree, locale, f"{name} {change or ''}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("locale", LOCALES)
def test_policy_names_are_the_glossary_names(locale):
    pol = policy()["hazard"]
    assert {k: lv["name"][locale] for k, lv in pol["levels"].items()} == LEVELS[locale]
    assert [c[locale] for c in pol["categories"].values()] == CATEGORIES[locale]
    for lv in pol["levels"].values():
        assert not problems(lv["hint"][locale], locale, mrkdwn=False), lv["hint"][locale]
        assert len(lv["hint"][locale]) <= 75  # a radio button's description


def test_markers_never_touch_chinese_in_what_we_send():
    # the catalogs may write *等级*和 (they should not), the output never does
    assert i18n.space_markers("只需填写*等级*和*隐患描述*，其余") == "只需填写 *等级* 和 *隐患描述* ，其余"
    assert i18n.space_markers("*HZ-2026-00001*（一级）") == "*HZ-2026-00001* （一级）"
    assert i18n.space_markers("。_补发_\n") == "。 _补发_\n"
    # built in a template or in code: render() and text_blocks() space every mrkdwn object
    tree = space_mrkdwn([{"type": "section", "text": {"type": "mrkdwn", "text": "见*HZ-1*。"},
                          "fields": [{"type": "mrkdwn", "text": "请*尽快*处理"}]},
                         {"type": "header", "text": {"type": "plain_text", "text": "见*HZ-1*。"}}])
    assert tree[0]["text"]["text"] == "见 *HZ-1* 。" and tree[0]["fields"][0]["text"] == "请 *尽快* 处理"
    assert tree[1]["text"]["text"] == "见*HZ-1*。"  # plain text shows no markers: left alone
    assert text_blocks("状态*已响应*。")[0]["text"]["text"] == "状态 *已响应* 。"


@pytest.mark.parametrize("text", [
    "<https://a_b.example/x_y|链接_甲_>中", "中:busts_in_silhouette:中", "<@U_1>和<#C_2>", "`代码*甲*`中",
    "```\n中*甲*中\n```", "snake_case和a_b", "3*4=12，5*6", "中*", "中_", "**", "* 中 *", "中* 甲 *中",
])
def test_markers_that_are_not_markers_are_left_alone(text):
    assert i18n.space_markers(text) == text


def test_marker_spacing_is_idempotent_and_keeps_mrkdwn():
    once = i18n.space_markers(i18n.Mrkdwn("中*甲*中_乙_中"))
    assert once == "中 *甲* 中 _乙_ 中" and isinstance(once, i18n.Mrkdwn)
    assert i18n.space_markers(once) == once
    assert i18n.t("zh-CN", "modal.intro").startswith("*等级、类别和隐患描述* ")


def test_durations_and_lists_are_written_the_chinese_way():
    assert fmt_minutes("zh-CN", 45) == "45秒"
    assert fmt_minutes("zh-CN", 1800) == "30分钟"
    assert fmt_minutes("zh-CN", 3 * 3600 + 300) == "3小时5分钟"
    assert fmt_minutes("zh-CN", 2 * 86400 + 4 * 3600) == "2天4小时"
    assert fmt_minutes("en", 3 * 3600 + 300) == "3 h 5 min"
    assert fmt_minutes("en", 86400) == "1 day" and fmt_minutes("en", 2 * 86400 + 4 * 3600) == "2 days 4 h"
    assert join_list("zh-CN", ["业务主管", "安全专员", "副组长", "部门负责人"]) == "业务主管、安全专员、副组长或部门负责人"
    assert join_list("zh-CN", ["安保部", "法务部"], "and") == "安保部和法务部"
    assert join_list("en", ["A", "B", "C"]) == "A, B or C"
    assert join_list("en", ["A"]) == "A" and join_list("en", []) == ""
    joined = join_list("zh-CN", [mention("U1"), mention("U2")], "and")
    assert joined == "<@U1> 和 <@U2>" and isinstance(joined, Mrkdwn)  # spaces around @mentions
    assert join_list("zh-CN", ["HZ-2026-00001", "HZ-2026-00002", "HZ-2026-00003"], "and") == \
        "HZ-2026-00001、HZ-2026-00002 和 HZ-2026-00003"
    assert join_list("zh-CN", ["热线A组", "Hotline B"], "and") == "热线A组和 Hotline B"
    assert not isinstance(join_list("zh-CN", ["<!channel>", mention("U2")]), Mrkdwn)  # user text stays escapable
    zh = i18n.join_sentences("zh-CN", i18n.t("zh-CN", "confirm.dm", number="HZ-2026-00001", level="一级（重大）",
                                              responders=mention("U1"), due="2026-11-28 14:30"),
                             i18n.t("zh-CN", "confirm.grouped", lead="HZ-2026-00000"))
    assert "。同一位置" in zh and isinstance(zh, Mrkdwn) and not spacing(zh, "zh-CN")
    assert i18n.join_sentences("en", Mrkdwn("One."), Mrkdwn("Two.")) == "One. Two."


@pytest.mark.parametrize("locale", LOCALES)
def test_the_words_the_issue_asks_for(locale):
    zh = locale == "zh-CN"
    # refusals say the action did not take effect
    for key in ("ack.refused", "ack.already", "ack.resolved_already", "resolve.refused", "resolve.already",
                "separate.refused", "separate.not_joined"):
        text = render_key(locale, key)
        assert ("本次操作未生效" in text) if zh else ("Nothing was changed" in text), key
    # reminders and escalations end with what to do
    for key in ("escalation.thread", "escalation.dm", "escalation.channel", "card.overdue_line",
                "dm.joined_responders", "thread.notify"):
        text = render_key(locale, key, late=False)
        if zh:  # the last clause asks for something: 请尽快响应 / 请督促… / 请在…点“单独处理”
            assert "请" in [c for c in re.split(r"[。，；]", text) if c.strip()][-1], (key, text)
        else:
            assert re.search(r"\bplease\b", [c for c in text.split(". ") if c.strip()][-1], re.I), (key, text)
    # the push notification is one natural line naming the responders
    fallback = render_key(locale, "card.fallback")
    assert "\n" not in fallback and "<@U0RESP1>" in fallback and "HZ-2026-00042" in fallback
    # the modal names the fields that are really required
    intro = i18n.t(locale, "modal.intro").lower()
    for field in (("等级", "类别", "隐患描述") if zh else ("level", "category", "what you saw")):
        assert field in intro
    # shown inline in the modal: at most 150 characters
    assert len(render_key(locale, "errors.rate_limited", n=10)) <= 150
    # one name per step: the button, the state and the card say the same word
    if zh:
        assert (i18n.tp(locale, "button.acknowledge"), i18n.tp(locale, "status.acknowledged")) == ("响应", "已响应")
        assert (i18n.tp(locale, "button.resolve"), i18n.tp(locale, "status.resolved")) == ("处理", "已处理")
        assert i18n.tp(locale, "status.open") == "待响应"


def test_the_checks_catch_what_the_issue_reports():
    assert touching_markers("只需填写*等级*和") and touching_markers("*HZ-2026-00001*（")
    assert not touching_markers("只需填写 *等级* 和") and not touching_markers(":busts_in_silhouette: 中")
    assert nested_brackets("*HZ*（一级（重大））") and not nested_brackets("*HZ* 【一级（重大）】")
    assert avoided_terms("已确认", "zh-CN") and avoided_terms("二级（较大）", "zh-CN")
    assert avoided_terms("你的报告", "zh-CN") and not avoided_terms("整改报告", "zh-CN")
    assert spacing("30 分钟", "zh-CN") and spacing("已上报。 请", "zh-CN") and not spacing("30分钟。请", "zh-CN")


# --------------------------------------------------------------------------- #25: the review's classes
def test_each_class_of_the_review_is_caught_on_the_text_it_quoted():
    """Each check of tests/chinese_artefacts.py catches the rendered text the review quotes (and passes its fix)."""
    zh = "zh-CN"
    review = {  # finding: (as rendered then, as rendered now)
        "11 raw identifier": ("2026-12-05 01:21 · <@U0AGENT1>：check_reported",
                              "2026-12-05 01:21 · <@U0AGENT1> 在班前自查中发现不符合项并上报"),
        "12 escaped mention": ("<@U0WANG>：&lt;@U0IT&gt; 请帮忙看一下", "<@U0WANG>：<@U0IT> 请帮忙看一下"),
        "9 mention twice": ("<@U0OFFICER> <@U0HEAD> <@U0OFFICER> <@U0HEAD>:rotating_light: 【一级（重大）】事件",
                            "<@U0OFFICER> <@U0HEAD> :rotating_light: 【一级（重大）】事件"),
        "10 zero duration": ("响应时限 2026-12-05 01:24 已过0秒，请尽快响应。", "响应时限 2026-12-05 01:24 已到，请尽快响应。"),
        "15 IANA zone": ("时间按 Asia/Shanghai 时区显示", "时间为北京时间（UTC+8）"),
        "13 shift name": ("早班班 08:00–16:00", "班次：早班（08:00–16:00）"),
        "18 team words": ("*本组的*", "*本团队待办*"),
        "18 team words, policy": ("班组安全学习", "团队安全学习"),
        "21 您": ("您勾选了耳机。", "你勾选了耳机。"),
        "16 thread word": ("见隐患卡片下的讨论串。", "见隐患卡片下的消息串。"),
    }
    for finding, (then, now) in review.items():
        assert artefacts(then, zh), finding
        assert not artefacts(now, zh), (finding, artefacts(now, zh))
    assert artefacts("Times in Asia/Shanghai", "en") == []  # English may name the zone


def test_the_timeline_says_every_step_in_words(org):
    """处理记录 (finding 11, 12): a hazard filed from a check, a reply that names people; no code identifier and no
    escaped mention on the timeline, in either language."""
    from bot.hazards.lookups import timeline_line

    ctx = SimpleNamespace(org=org)
    at = __import__("datetime").datetime(2026, 12, 4, 17, 21, tzinfo=__import__("datetime").timezone.utc)
    events = [
        SimpleNamespace(action="check_reported", actor="U0AGENT1", at=at, note="pre_shift:Hotline A:2026-12-05",
                        before=None, after={"task": 7, "kind": "pre_shift", "name": "pre_shift", "team": "Hotline A"}),
        SimpleNamespace(action="comment", actor="U0AGENT2", at=at, note="<@U0IT> 请帮忙看一下 <#C0SAFETY|safety> <!channel>",
                        before=None, after={"ts": "1.1"}),
        SimpleNamespace(action="check_reported", actor="U0SUPA", at=at, note="ups_test:2026-12-02", before=None,
                        after={"task": 8, "kind": "recurring", "name": "ups_test", "team": None}),
        # IT's answer and a corrective action's item (#21): in words, never the audit row's action name
        SimpleNamespace(action="answered", actor="U0IT", at=at, note="", before=None,
                        after={"seconds": 5400, "due": "2026-12-04T21:21:00+00:00"}),
        SimpleNamespace(action="corrective_action_carried_over", actor="system", at=at, note="", before=None,
                        after={"item": "HZ-2026-00042", "action": 3, "due": "2026-12-10T10:00:00+00:00"}),
        SimpleNamespace(action="corrective_action_done", actor="U0OFFICER", at=at, note="更换电源线", before=None,
                        after={"status": "done", "item": "HZ-2026-00042", "action": 3}),
    ]
    for locale in LOCALES:
        lines = [timeline_line(ctx, locale, e) for e in events]
        for line in lines:
            assert not artefacts(line, locale), (locale, line, artefacts(line, locale))
        assert ("班前自查" if locale == "zh-CN" else "Pre-shift self-check") in lines[0]
        assert ("UPS及发电机测试" if locale == "zh-CN" else "UPS / generator test") in lines[2]
        assert "<@U0IT>" in lines[1] and "<#C0SAFETY>" in lines[1] and "&lt;!channel&gt;" in lines[1]  # no ping
        assert not any("corrective_action" in line or line.endswith(": answered") for line in lines[3:]), lines[3:]
        assert all("HZ-2026-00042" in line for line in lines[4:]) and ("1小时30分" if locale == "zh-CN" else "1 h") in lines[3]


@pytest.mark.parametrize("zone,zh,en", [
    ("Asia/Shanghai", "时间为北京时间（UTC+8）", "Times in China Standard Time (UTC+8)"),
    ("Asia/Tokyo", "时间为东京时间（UTC+9）", "Times in Japan Standard Time (UTC+9)"),
    ("America/Sao_Paulo", "时间为当地时间（UTC-3）", "Times in America/Sao_Paulo time (UTC-3)"),
    ("Europe/London", "时间为伦敦时间（UTC+0/UTC+1）", "Times in UK time (UTC+0/UTC+1)"),
])
def test_the_time_zone_line_names_the_zone_in_words(zone, zh, en):
    assert i18n.t("zh-CN", "card.zone", zone=zone) == zh
    assert i18n.t("en", "card.zone", zone=zone) == en


@pytest.mark.parametrize("locale", LOCALES)
def test_every_zh_word_of_the_policy_and_the_plans_is_the_documents(locale):
    """Names, hints, items and plan steps are shown as they are: the same checks as the catalogs (#25: 班组 in the
    policy's check names, 电话 for 话机, 超负荷 for 过载)."""
    words = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get(locale), str):
                words.append(node[locale])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(policy())
    walk(_plans())
    bad = [f"{w!r}: {p}" for w in words for p in problems(w, locale, mrkdwn=False)
           if not (p.startswith("avoid 关闭") and ("门窗" in w or "电源" in w))  # doors and power are closed, not hazards
           and not (p.startswith("avoid serious") and "120" in w)]  # a serious injury, not a level
    if locale == "zh-CN":
        bad += [f"{w!r}: the document says {good}" for w in words for avoid, good in
                (("电话运行", "话机"), ("超负荷", "过载"), ("综合安全检查", "全面安全检查"), ("疏开", "疏散"), ("后勤", "设施维护"))
                if avoid in w]
    assert not bad, "\n".join(bad)
