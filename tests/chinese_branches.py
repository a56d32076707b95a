"""Every branch of a catalog entry or template, for tests/test_chinese.py (issue #25): the values that take each
`{% if %}` / `{% elif %}` / conditional expression both ways, and each `x == n` / `x > n` comparison on, below
and above its number. A variable without a sample is an error, not a silent None (six templates had branches
that were never rendered that way)."""

from __future__ import annotations

from jinja2 import nodes

from bot.i18n import Mrkdwn

DROP = object()  # `x is defined`: render without it


def _flip(value):
    """The other side of a test: a falsy value of the same kind for a truthy one, a truthy one for a falsy one."""
    if value:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return 0
        if isinstance(value, str):
            return Mrkdwn("") if isinstance(value, Mrkdwn) else ""
        if isinstance(value, (list, tuple, dict)):
            return type(value)()
        return value  # a namespace (ids) or an object: not a branch of the words
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return 1
    if isinstance(value, str):
        return "x"
    return value


def _tests(ast):
    for node in ast.find_all((nodes.If, nodes.CondExpr)):
        yield node.test
        for elif_ in getattr(node, "elif_", []) or []:
            yield elif_.test


def variants(ast, values: dict, keep=frozenset()) -> list[dict]:
    """Overrides of `values`, one per side of every test in the parsed template `ast` (the first: none).
    `keep`: variables that are never empty where the template is used (they pick a catalog key)."""
    names, numbers, defined = set(), {}, set()
    for test in _tests(ast):
        for cmp in test.find_all(nodes.Compare):
            if isinstance(cmp.expr, nodes.Name):
                for op in cmp.ops:
                    if isinstance(op.expr, nodes.Const) and isinstance(op.expr.value, int):
                        n = op.expr.value
                        numbers.setdefault(cmp.expr.name, set()).update({max(0, n - 1), n, n + 1})
        for t in test.find_all(nodes.Test):
            if t.name == "defined" and isinstance(t.node, nodes.Name):
                defined.add(t.node.name)
        names.update(n.name for n in test.find_all(nodes.Name) if n.ctx == "load")
    out: list[dict] = [{}]
    for name in sorted(names - set(numbers) - defined - set(keep)):
        if name in values and _flip(values[name]) is not values[name]:
            out.append({name: _flip(values[name])})
    for name, ns in sorted(numbers.items()):
        out += [{name: n} for n in sorted(ns)]
    for name in sorted(defined):
        out.append({name: DROP})
    return out


def apply(values: dict, override: dict) -> dict:
    out = dict(values)
    for k, v in override.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out
