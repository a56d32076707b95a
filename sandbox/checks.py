"""What real Slack would refuse: messages and views checked against Slack's Block Kit schema.

The schema is vendored in the package (`sandbox/schemas/block-kit.schema.json`, its source and licence in the
README there), or `--schema PATH`. It is read by `SchemaCheck` below, a small pure-Python validator of the
JSON Schema keywords that schema uses, so a plain install validates by default: `jsonschema` stays a test
dependency (it is not small: attrs, referencing and a compiled rpds-py), and the tests check that both
give the same verdicts (tests/test_schemas_vendored.py).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

DEFAULT_SCHEMA = Path(__file__).resolve().parent / "schemas" / "block-kit.schema.json"
MAX_ERRORS = 10  # per payload: the first few say enough

# Keywords that only describe (or, like `format`, are not asserted by default in draft 2020-12).
_ANNOTATIONS = {"$schema", "$id", "$comment", "$defs", "definitions", "title", "description", "default",
                "examples", "format", "deprecated", "readOnly", "writeOnly"}
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


class SchemaError(ValueError):
    """The schema uses a keyword this validator does not know: refuse to guess (say so at start-up)."""


@lru_cache(maxsize=256)
def _regex(pattern: str):
    return re.compile(pattern)


def _equal(a, b) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


class SchemaCheck:
    """Errors of an instance against a JSON schema (the subset of draft 2020-12 Slack's Block Kit schema uses).

    `errors(instance)` yields (path, message) pairs, none when the instance is valid. Only local `$ref`s
    (`#/$defs/…`) are followed. An unknown keyword raises SchemaError when the schema is loaded, so a
    newer schema cannot be silently half-checked.
    """

    KNOWN = _ANNOTATIONS | {
        "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "patternProperties",
        "minProperties", "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "contains",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "allOf", "anyOf", "oneOf", "not", "if", "then"}

    def __init__(self, root: dict, ref: str | None = None):
        self.root = root
        self.schema = {"$ref": f"#/$defs/{ref}"} if ref else root
        self._check_keywords(root, "#")
        self._resolve(self.schema["$ref"]) if ref else None  # a missing definition fails now, not per payload

    def _check_keywords(self, schema, where: str) -> None:
        if isinstance(schema, bool):
            return
        if not isinstance(schema, dict):
            raise SchemaError(f"{where}: a schema must be an object or a boolean")
        unknown = set(schema) - self.KNOWN
        if unknown:
            raise SchemaError(f"{where}: keywords this validator does not check: {', '.join(sorted(unknown))}")
        for key in ("properties", "patternProperties", "$defs", "definitions"):
            for name, sub in (schema.get(key) or {}).items():
                self._check_keywords(sub, f"{where}/{key}/{name}")
        for key in ("additionalProperties", "items", "contains", "not", "if", "then"):
            if key in schema:
                self._check_keywords(schema[key], f"{where}/{key}")
        for key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(schema.get(key) or []):
                self._check_keywords(sub, f"{where}/{key}/{i}")

    def _resolve(self, ref: str):
        if not ref.startswith("#/"):
            raise SchemaError(f"only local $ref are followed, not {ref!r}")
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def errors(self, instance):
        """(path, message) for each error, lazily: stop iterating when you have seen enough."""
        return self._errors(self.schema, instance, ())

    def valid(self, schema, instance) -> bool:
        return next(iter(self._errors(schema, instance, ())), None) is None

    def _errors(self, schema, inst, path: tuple):  # noqa: C901 - one branch per keyword, as the spec lists them
        if schema is True:
            return
        if schema is False:
            yield path, "nothing is allowed here"
            return
        if "$ref" in schema:
            yield from self._errors(self._resolve(schema["$ref"]), inst, path)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_TYPES[t](inst) for t in types):
                yield path, f"{_short(inst)} is not of type {', '.join(repr(t) for t in types)}"
                return
        if "const" in schema and not _equal(inst, schema["const"]):
            yield path, f"{_short(schema['const'])} was expected"
        if "enum" in schema and not any(_equal(inst, e) for e in schema["enum"]):
            yield path, f"{_short(inst)} is not one of {schema['enum']!r}"[:300]
        if isinstance(inst, str):
            if "minLength" in schema and len(inst) < schema["minLength"]:
                yield path, f"{_short(inst)} is shorter than {schema['minLength']}"
            if "maxLength" in schema and len(inst) > schema["maxLength"]:
                yield path, f"{_short(inst)} is longer than {schema['maxLength']} characters"
            if "pattern" in schema and not _regex(schema["pattern"]).search(inst):
                yield path, f"{_short(inst)} does not match {schema['pattern']!r}"
        if _TYPES["number"](inst):
            if "minimum" in schema and inst < schema["minimum"]:
                yield path, f"{inst} is less than the minimum of {schema['minimum']}"
            if "maximum" in schema and inst > schema["maximum"]:
                yield path, f"{inst} is greater than the maximum of {schema['maximum']}"
            if "exclusiveMinimum" in schema and inst <= schema["exclusiveMinimum"]:
                yield path, f"{inst} is not more than {schema['exclusiveMinimum']}"
            if "exclusiveMaximum" in schema and inst >= schema["exclusiveMaximum"]:
                yield path, f"{inst} is not less than {schema['exclusiveMaximum']}"
            if "multipleOf" in schema and (inst / schema["multipleOf"]) % 1:
                yield path, f"{inst} is not a multiple of {schema['multipleOf']}"
        if isinstance(inst, list):
            if "minItems" in schema and len(inst) < schema["minItems"]:
                yield path, f"{len(inst)} items: at least {schema['minItems']} expected"
            if "maxItems" in schema and len(inst) > schema["maxItems"]:
                yield path, f"{len(inst)} items: at most {schema['maxItems']} allowed"
            if schema.get("uniqueItems"):
                for i, item in enumerate(inst):
                    if any(_equal(item, other) for other in inst[:i]):
                        yield path, "has non-unique elements"
                        break
            if "items" in schema:
                for i, item in enumerate(inst):
                    yield from self._errors(schema["items"], item, path + (i,))
            if "contains" in schema and not any(self.valid(schema["contains"], item) for item in inst):
                yield path, "no item is valid under the given 'contains' schema"
        if isinstance(inst, dict):
            for name in schema.get("required") or []:
                if name not in inst:
                    yield path, f"{name!r} is a required property"
            if "minProperties" in schema and len(inst) < schema["minProperties"]:
                yield path, f"at least {schema['minProperties']} properties expected"
            if "maxProperties" in schema and len(inst) > schema["maxProperties"]:
                yield path, f"at most {schema['maxProperties']} properties allowed"
            props = schema.get("properties") or {}
            patterns = schema.get("patternProperties") or {}
            for name, value in inst.items():
                if name in props:
                    yield from self._errors(props[name], value, path + (name,))
                matched = [p for p in patterns if _regex(p).search(name)]
                for p in matched:
                    yield from self._errors(patterns[p], value, path + (name,))
                if name not in props and not matched and "additionalProperties" in schema:
                    extra = schema["additionalProperties"]
                    if extra is False:
                        yield path, f"additional property {name!r} is not allowed"
                    else:
                        yield from self._errors(extra, value, path + (name,))
        for sub in schema.get("allOf") or []:
            yield from self._errors(sub, inst, path)
        if "anyOf" in schema and not any(self.valid(sub, inst) for sub in schema["anyOf"]):
            yield path, f"{_short(inst)} is not valid under any of the given schemas"
        if "oneOf" in schema:
            n = sum(self.valid(sub, inst) for sub in schema["oneOf"])
            if n != 1:
                yield path, (f"{_short(inst)} is not valid under any of the given schemas" if n == 0 else
                             f"{_short(inst)} is valid under each of {n} of the given schemas")
        if "not" in schema and self.valid(schema["not"], inst):
            yield path, f"{_short(inst)} should not be valid under {_short(schema['not'])}"
        if "if" in schema and "then" in schema and self.valid(schema["if"], inst):
            yield from self._errors(schema["then"], inst, path)


class Checker:
    def __init__(self, schema_path: Path | str | None = None):
        self.path = Path(schema_path) if schema_path else DEFAULT_SCHEMA
        self._validators: dict[str, SchemaCheck] = {}
        self.why_off = ""
        try:
            schema = json.loads(self.path.read_text(encoding="utf-8"))
            for name, ref in (("blocks", None), ("modal", "modal_view"), ("home", "home_view")):
                self._validators[name] = SchemaCheck(schema, ref)
        except OSError as exc:
            self.why_off = f"cannot read the Block Kit schema {self.path}: {exc.strerror or exc}"
        except (ValueError, KeyError, TypeError) as exc:  # not JSON, or a schema this validator cannot check
            self.why_off = f"cannot use the Block Kit schema {self.path}: {exc}"

    @property
    def on(self) -> bool:
        return not self.why_off

    def _errors(self, which: str, instance) -> list[str]:
        errors = []
        for path, message in self._validators[which].errors(instance):
            where = "/".join(str(p) for p in path)
            errors.append(f"{which}/{where}: {message[:300]}" if where else f"{which}: {message[:300]}")
            if len(errors) >= MAX_ERRORS:
                break
        return errors

    def __call__(self, method: str, params: dict) -> list[str]:
        """Slack's reasons to refuse this call ([] when it would take it, or when validation is off)."""
        if not self.on:
            return []
        if "view" in params and isinstance(params["view"], dict):
            view = params["view"]
            return self._errors("home" if view.get("type") == "home" else "modal", view)
        blocks = params.get("blocks")
        if blocks is None:
            return [] if params.get("text") else ["neither text nor blocks: no_text"]
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return ["blocks are not JSON"]
        return self._errors("blocks", blocks)
