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
        if rel in {COMPOSITION_ROOT, "bot/compose.py"}:
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
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _modules("bot") + _modules("handlers") + _modules("storage")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert long == []


# -- #18: a core that knows no feature ------------------------------------------------------------------------------
COMPOSITION_ROOTS = {"bot/cli.py", "bot/compose.py"}  # the entry points: they may put every part together
# The feature-neutral core: it imports no kind (the kinds plug in through bot/registry.py).
CORE = ("bot/registry.py", "bot/sweeper.py", "bot/subjects.py", "bot/jobs.py", "bot/outbox.py", "bot/outbox_pacing.py",
        "bot/worker.py", "bot/clock.py", "bot/i18n.py", "bot/render.py", "bot/masking.py", "bot/text.py",
        "bot/limits.py", "bot/durations.py", "bot/workdays.py", "bot/working_hours.py", "bot/context.py",
        "bot/directory.py", "bot/prefs.py", "bot/settings.py", "bot/app.py", "bot/retention.py", "bot/ids.py",
        "bot/home.py", "schedules/scheduler.py")
KIND_MODULES = ("bot.hazards", "bot.incidents", "bot.rectification", "bot.checks", "bot.drills")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _product_graph() -> dict[str, set[str]]:
    """Every import between the product's modules, those inside functions and relative ones included."""
    paths = {_module_name(p): p for pkg in OURS for p in _modules(pkg)}
    graph: dict[str, set[str]] = {m: set() for m in paths}
    for mod, path in paths.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            graph[mod] |= {n for n in names if n in paths and n != mod}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_anywhere_in_the_product():
    assert _cycles(_product_graph()) == []


def test_the_core_imports_no_kind():
    graph = _product_graph()
    wrong = [f"{rel} imports {name}" for rel in CORE for name in sorted(graph[_module_name(ROOT / rel)])
             if any(name == k or name.startswith(k + ".") for k in KIND_MODULES)]
    assert wrong == []


def test_nothing_in_the_product_imports_the_composition_root():
    graph = _product_graph()
    roots = {_module_name(ROOT / r) for r in COMPOSITION_ROOTS}
    wrong = [f"{m} imports {n}" for m, names in graph.items() for n in names
             if n in roots and _module_name(ROOT / "bot/cli.py") != m and not m.startswith("sandbox")]
    assert wrong == []


def test_one_inline_error_limit_one_views_open_and_one_form_parser_in_handlers():
    """#18: the listeners share one `INLINE_ERROR_MAX`, one `open_view` and one form parser (handlers/common.py)."""
    wrong = []
    for path in _modules("handlers"):
        if path.name == "common.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^INLINE_ERROR_MAX\s*=", text, re.M):
            wrong.append(f"{path.name} defines INLINE_ERROR_MAX")
        if "views_open(" in text:
            wrong.append(f"{path.name} calls views_open itself")
        if re.search(r"\[\"state\"\]|get\(\"state\"\)", text):
            wrong.append(f"{path.name} reads view state itself")
    assert wrong == []
