"""One catalog entry rendered many times over (issue 26: 10,000 escalation rungs due at once): `shaped(locale, key)`
gives `i18n.t(locale, key, **values)` as a function that renders the entry's Jinja template once per combination of
its tested names' truth and then only fills values in. The words, the escaping and the marker spacing stay
`bot/i18n.py`'s; this module only saves the Jinja context per use."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import nodes

from bot.i18n import Mrkdwn, _compiled, _mrkdwn_env, _Static, catalog, escape_mrkdwn, normalise_locale, space_markers, t


class _Slot(Mrkdwn):
    """A stand-in for a value in a shape render (`Shaped`): Jinja writes it as it is (it is Mrkdwn)."""


class _FalseSlot(_Slot):
    def __bool__(self) -> bool:
        return False


_SEP = "\x00"


class Shaped:
    """`t(locale, key, **values)` for an entry rendered many times over (10,000 escalation rungs due at once):
    an entry made only of `{{ name }}` and `{% if name %}…{% elif name %}…{% else %}…{% endif %}` is rendered by Jinja
    once per combination of its tested names' truth, with stand-ins for the values; each use then joins the pieces
    with the values escaped as `t` escapes them (`str(escape_mrkdwn(value))`) and spaces the markers: the same text,
    without a Jinja context per use. Any other entry, or a call missing a value, renders through `t` itself."""

    def __init__(self, locale: str, key: str) -> None:
        self.locale, self.key = locale, key
        self.template = _compiled("m", locale, key)
        self.names: tuple[str, ...] | None = None
        self.tests: tuple[str, ...] = ()
        self.shapes: dict[tuple, list] = {}
        if isinstance(self.template, _Static):
            self.names = ()
            return
        shape = _shape_names(_mrkdwn_env.parse(catalog(locale)[key]))
        if shape is not None and _SEP not in catalog(locale)[key]:
            self.names, self.tests = shape

    def __call__(self, **values) -> Mrkdwn:
        names = self.names
        if names is None or not all(n in values for n in names):
            return t(self.locale, self.key, **values)
        if not names:
            return Mrkdwn(space_markers(self.template.render()))
        truth = tuple(bool(values[n]) for n in self.tests)
        pieces = self.shapes.get(truth)
        if pieces is None:
            pieces = self.shapes[truth] = self._pieces(dict(zip(self.tests, truth)))
        out = [p if k % 2 == 0 else str(escape_mrkdwn(values[p])) for k, p in enumerate(pieces)]
        return Mrkdwn(space_markers("".join(out)))

    def _pieces(self, truth: dict) -> list:
        slots = {n: (_Slot if truth.get(n, True) else _FalseSlot)(f"{_SEP}{n}{_SEP}") for n in self.names}
        return self.template.render(**slots).split(_SEP)  # literal, name, literal, name, …, literal


def _shape_names(template) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(every name, the names tested) of a template of plain outputs and ifs on plain names; None for any other."""
    names: dict[str, None] = {}
    tests: dict[str, None] = {}

    def walk(body) -> bool:
        for node in body:
            if isinstance(node, nodes.Output):
                for part in node.nodes:
                    if isinstance(part, nodes.Name) and part.ctx == "load":
                        names[part.name] = None
                    elif not isinstance(part, nodes.TemplateData):
                        return False
            elif isinstance(node, nodes.If):
                if not (isinstance(node.test, nodes.Name) and node.test.ctx == "load"):
                    return False
                names[node.test.name] = tests[node.test.name] = None
                if not (walk(node.body) and walk(node.elif_) and walk(node.else_)):
                    return False
            else:
                return False
        return True

    return (tuple(names), tuple(tests)) if walk(template.body) else None


@lru_cache(maxsize=1024)
def shaped(locale: str, key: str) -> Shaped:
    """The `Shaped` renderer of catalog entry `key` in `locale` (kept: each is a few pieces per truth combination)."""
    return Shaped(normalise_locale(locale), key)
