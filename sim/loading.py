"""Reading configuration files: YAML with line numbers, ``extends:``, key paths and ``--set``.

The second of the three parts of configuration (sim/schema.py says what a valid scenario is;
sim/errors.py holds the errors). Nothing here knows the schema: it turns files and
``key.path=value`` strings into plain nested dicts, and keeps a *line map* beside them — key
path (a tuple of keys and list indices) → (file, line) — so that problems found later, by the
schema, point at the line that set the value, even through a chain of ``extends:``. Every
problem is raised as :class:`sim.errors.ScenarioError` carrying :class:`sim.errors.Problem`
records. Imports nothing heavier than ruamel.yaml, so ``cogov validate`` starts fast.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from sim.errors import Problem, ScenarioError

KeyPath = tuple  # of str keys and int list indices
LineMap = dict  # KeyPath → (file, line or None)


# ------------------------------------------------------------------------------- key paths
def dotted(loc: Iterable) -> str:
    """A key path as YAML users write it: ``policy.schedule[0].set.devolution``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def located_at(loc: tuple, where: Mapping, source: str) -> tuple[str, int | None]:
    """(file, line) that set ``loc`` or, failing that, its nearest enclosing key; ``source``
    (no line) when the line map knows none of them."""
    for n in range(len(loc), -1, -1):
        hit = where.get(tuple(loc[:n]))
        if hit:
            return hit[0], hit[1]
    return source, None


def problem_at(loc: tuple, message: str, where: Mapping, source: str) -> Problem:
    """A :class:`Problem` about key path ``loc``, placed by the line map."""
    file, line = located_at(loc, where, source)
    return Problem(message, str(file), line, dotted(loc))


def get_path(data: Any, keys: tuple) -> Any:
    """The value at ``keys`` in nested dicts (None if absent)."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def set_path(data: dict, keys: tuple, value: Any) -> None:
    """Set the value at ``keys``, creating sections; ScenarioError if a key on the way holds a
    value rather than a section."""
    for depth, key in enumerate(keys[:-1]):
        nxt = data.setdefault(key, {})
        if nxt is None:
            nxt = data[key] = {}
        if not isinstance(nxt, dict):
            where = ".".join(keys[: depth + 1])
            raise ScenarioError(Problem(f"'{where}' is a value, not a section",
                                        key=".".join(keys)))
        data = nxt
    data[keys[-1]] = value


def flatten(mapping: Mapping, prefix: tuple = ()) -> Iterable[tuple[tuple, Any]]:
    """(key path, value) for every leaf of nested mappings."""
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            yield from flatten(value, (*prefix, str(key)))
        else:
            yield (*prefix, str(key)), value


def merge(base: dict, top: dict) -> dict:
    """``top`` over ``base``, mappings merged key by key, anything else (lists) replaced."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def overridden(data: dict, where: LineMap, overrides: Mapping[str, Any],
               origin: str | Mapping[str, str]) -> tuple[dict, LineMap]:
    """``data`` with dotted key paths replaced, and ``where`` pointing them at their origin
    (``origin``: one label such as ``--set``, or one per key path)."""
    data, where = copy.deepcopy(data), dict(where)
    for path, value in overrides.items():
        keys = tuple(path.split("."))
        set_path(data, keys, value)
        label = origin if isinstance(origin, str) else origin.get(path, "--set")
        for located in [k for k in where if k[:len(keys)] == keys]:
            del where[located]  # the override replaced them: their file lines no longer hold
        where[keys] = (label, None)  # the Problem names the key path itself
    return data, where


def parse_assignments(items: Iterable[str], origin: str = "--set") -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are read as YAML scalars (0.8, true, points)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(Problem("expected key.path=value", origin, key=item))
        try:
            value = YAML(typ="safe").load(text) if text.strip() else None
        except Exception:
            raise ScenarioError(Problem(f"cannot read value {text!r}", origin,
                                        key=item)) from None
        out[key.strip()] = value
    return out


# ------------------------------------------------------------------------------------- YAML
def load_yaml_tree(path: Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, LineMap]:
    """Load ``path`` and everything it ``extends``; return (merged data, line map).

    Later files win; lists are replaced whole. ``extends`` paths are relative to the file.
    A key keeps the line of the file that set it last, so a problem in a value inherited
    through ``extends:`` points into the file that wrote it.
    """
    path = Path(path)
    if path.resolve() in _seen:
        chain = " → ".join(str(p) for p in (*_seen, path.resolve()))
        raise ScenarioError(Problem(f"cycle {chain}", str(path), key="extends"))
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        kind = ("nothing" if raw is None else "a list" if isinstance(raw, list)
                else f"a single value ({raw!r})")
        raise ScenarioError(Problem(f"must be a mapping of keys, got {kind}", str(path), 1, ""))
    where: LineMap = {}
    try:
        _record_lines(raw, (), path, where)
        data = _plain(raw)
    except RecursionError:
        raise ScenarioError(Problem("YAML: nested too deeply (or an alias refers to its own "
                                    "anchor)", str(path))) from None
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    line = where.get(("extends",), (path, None))[1]
    if not isinstance(parent, str):
        raise ScenarioError(Problem("must be a path", str(path), line, "extends"))
    base_path = (path.parent / parent)
    if not base_path.is_file():
        what = "is a directory, not a file" if base_path.is_dir() else "file not found"
        raise ScenarioError(Problem(f"{what}: {base_path}", str(path), line, "extends"))
    base, base_where = load_yaml_tree(base_path, (*_seen, path.resolve()))
    return merge(base, data), {**base_where, **where}


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with line information; syntax errors become ScenarioError."""
    def bad(message: str, line: int | None = None) -> ScenarioError:
        return ScenarioError(Problem(message, str(path), line))

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise bad("file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot read: {exc}") from None
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise bad(f"YAML syntax: {exc.problem}", mark.line + 1 if mark else None) from None
    except RecursionError:
        raise bad("YAML: nested too deeply") from None
    except Exception as exc:  # ruamel raises several unrelated classes for bad input
        raise bad(f"YAML: {exc}") from None


def _record_lines(node: Any, prefix: tuple, path: Path, where: LineMap, line: int = 1) -> None:
    """Key path → (file, line) for every key and item under ``node`` (``line``: the node's
    own line, used where YAML keeps none)."""
    if isinstance(node, CommentedMap):
        for key in node:
            here = _key_line(node, key) or line
            where[(*prefix, str(key))] = (str(path), here)
            _record_lines(node[key], (*prefix, str(key)), path, where, here)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            position = node.lc.data.get(i) if isinstance(node.lc.data, dict) else None
            here = position[0] + 1 if position else line
            where[(*prefix, i)] = (str(path), here)
            _record_lines(item, (*prefix, i), path, where, here)


def _key_line(node: CommentedMap, key: Any, _depth: int = 0) -> int | None:
    """The 1-based line of ``key`` in ``node``, or in the mapping it was merged from
    (YAML merge keys ``<<: *anchor``); None if unknown."""
    position = node.lc.data.get(key) if isinstance(node.lc.data, dict) else None
    if position:
        return position[0] + 1
    if _depth < 100:
        for source in getattr(node, "merge", None) or ():
            if isinstance(source, CommentedMap) and key in source:
                return _key_line(source, key, _depth + 1)
    return None


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    for kind in (bool, int, float, str):  # ruamel's Scalar* subclasses become plain values
        if isinstance(node, kind):
            return kind(node)
    return node


def yaml_word(value: Any) -> str:
    """A scalar as YAML writes it (``true``/``false`` for booleans)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
