"""The shape of the code (#8): imports flow one way, listeners hold no SQL, ids live in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("bot", "handlers", "storage", "schedules", "sandbox")
# who may import whom (besides itself): handlers -> bot -> storage; schedules -> bot;
# sandbox (a tool beside the product) -> any of them, and nothing but the CLI imports it
ALLOWED = {"handlers": {"bot"}, "bot": {"storage"}, "storage": set(), "schedules": {"bot"},
           "sandbox": {"bot", "handlers", "storage", "schedules"}}
COMPOSITION_ROOT = "bot/cli.py"  # builds the app from all of them


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules(package: str):
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("package", OURS)
def test_imports_flow_one_way(package):
    wrong = []
    for path in _modules(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel == COMPOSITION_ROOT:
            continue
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS and top != package and top not in ALLOWED[package]:
                wrong.append(f"{rel} imports {name}")
    assert wrong == []


def test_listeners_hold_no_sql():
    wrong = [f"{p.name} imports {n}" for p in _modules("handlers") for n in _imports(p)
             if n.split(".")[0] in ("sqlalchemy", "sqlmodel", "storage")]
    assert wrong == []


def test_listeners_are_importable_functions():
    import handlers
    from handlers import actions, commands, events, views

    for module, names in ((commands, ["hazard_command"]), (views, ["submit_report", "submit_resolution"]),
                          (actions, ["acknowledge", "resolve", "separate", "report_from_home"]),
                          (events, ["on_message", "on_home"])):
        for name in names:
            assert callable(getattr(module, name))
    assert callable(handlers.register)


def test_every_slack_id_comes_from_bot_ids():
    from bot import ids

    values = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    literal = re.compile(r'"(hazard_[a-z_]+|home_report)"')
    wrong = []
    for path in list(_modules("handlers")) + list((ROOT / "bot" / "templates").glob("*.j2")):
        for match in literal.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) in values:
                wrong.append(f"{path.name}: {match.group(1)}")
    assert wrong == []


def test_no_module_of_the_engine_is_longer_than_one_sitting():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _modules("bot") + _modules("handlers")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert long == []
