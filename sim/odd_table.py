"""The parameter tables of docs/ODD.md, generated from the scenario schema (sim/schema.py).

Every leaf of the schema gets one row: its key path (the name used in YAML and ``--set``), for
levers its Chinese and English label, its default, its range (from the ``ge``/``gt``/``le``/``lt``
constraints, the type and any field validator), its unit and source (the field's
:class:`sim.schema.Param` metadata: citation keys listed in the sources table, or
``assumption``/``calibrated``) and its description. Sections are the schema's
models: structure, population, behavior, policy and the documented sub-models used once (e.g.
``policy.grid``); value containers (a Beta distribution, one number per age group or category)
fold into their parent's table. ``python -m sim.odd_table`` rewrites the block between the markers
in docs/ODD.md, and the sources table (§6.3, from :data:`sim.schema.SOURCES`) between its own
markers; it also writes the bibliography of docs/SOURCES.md (an entry and anchor per citation key)
from the same dict. ``--check`` only reports whether they are current. tests/test_docs.py and
tests/test_sources.py regenerate the blocks in memory and compare, so the tables cannot drift from
the schema. Citations in the parameter table (source keys, "seed 003" in descriptions) link to
their docs/SOURCES.md entries.
"""

from __future__ import annotations

import argparse
import math
import re
import typing
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import annotated_types
from pydantic import BaseModel

from sim import schema
from sim.schema import Scenario

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"
SOURCES_START = "<!-- sources:start -->"
SOURCES_END = "<!-- sources:end -->"
PATTERNS_START = "<!-- patterns:start -->"
PATTERNS_END = "<!-- patterns:end -->"
BIBLIOGRAPHY_START = "<!-- bibliography:start -->"
BIBLIOGRAPHY_END = "<!-- bibliography:end -->"
DOCS = Path(__file__).resolve().parent.parent / "docs"
ODD_PATH = DOCS / "ODD.md"
SOURCES_PATH = DOCS / "SOURCES.md"

SECTIONS = ("structure", "population", "behavior", "policy")
RUN_FIELDS = ("seed", "months")
"""Top-level scenario fields that are parameters (``name`` and ``description`` are labels)."""

VALIDATOR_NOTES = {
    "_even_degree": "even",
    "_age_shares_sum_to_one": "`age_shares` must add up to 1",
    "_schedule_is_valid": "every scheduled change must leave a valid policy",
    "_table_or_grid": "with `communities`, street_offices, communities_per_street and "
                      "residents_per_community stay unset; community names are unique",
}
"""What each schema validator demands, in words; an unlisted one is named as it is."""


@dataclass(frozen=True)
class Row:
    path: str
    default: str
    range: str
    description: str
    unit: str = ""
    source: str = ""
    label: str = ""


def row(path: str, default: object, info, notes: list[str], description: str) -> Row:
    """The table row of the key at ``path`` (metadata read from the schema)."""
    param = schema.metadata(path, schema.Param)
    label = schema.metadata(path, schema.Label)
    return Row(path, fmt_value(default), fmt_range(info, notes), description,
               param.unit if param else "", param.source if param else "",
               f"{label.zh} · {label.en}" if label and schema.is_lever(path) else "")


@dataclass
class Group:
    path: str
    title: str
    notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


# --------------------------------------------------------------------------------- formatting
def fmt_value(value: object) -> str:
    """A default as it would be written in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int) and value == 2**63 - 1:
        return "2⁶³ − 1"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    return str(value)


def fmt_range(info, notes: list[str]) -> str:
    """Interval from the constraints (or the allowed values), then validator notes."""
    ann = info.annotation
    if typing.get_origin(ann) is typing.Literal:
        text = "one of " + ", ".join(f"`{v}`" for v in typing.get_args(ann))
    elif ann is bool:
        text = "true / false"
    elif ann in (int, float):
        low = high = None
        low_open = high_open = True
        for meta in info.metadata:
            if isinstance(meta, annotated_types.Ge):
                low, low_open = meta.ge, False
            elif isinstance(meta, annotated_types.Gt):
                low, low_open = meta.gt, True
            elif isinstance(meta, annotated_types.Le):
                high, high_open = meta.le, False
            elif isinstance(meta, annotated_types.Lt):
                high, high_open = meta.lt, True
        left = "(−∞" if low is None else ("(" if low_open else "[") + fmt_value(low)
        right = "∞)" if high is None else fmt_value(high) + (")" if high_open else "]")
        text = ("integer in " if ann is int else "") + f"{left}, {right}"
    elif typing.get_origin(ann) in (tuple, list):
        text = "list of {month, set[, community | street_office]}"
    elif any(typing.get_origin(arm) is tuple for arm in typing.get_args(ann)):
        text = "a table's path (.csv, .yaml) or a list of rows; none: uniform"
    else:
        text = getattr(ann, "__name__", str(ann))
    return "; ".join([text, *notes])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


_SEED_LIST = re.compile(r"\b[Ss]eeds? (0\d\d(?:(?:,| and| or|/|–| &) ?0\d\d)*)\b")


def link_citations(text: str, target: str = "SOURCES.md") -> str:
    """``text`` with each citation key of :data:`sim.schema.SOURCES` and each "seed 003" (or
    "seeds 000 and 002") made a Markdown link to its entry in docs/SOURCES.md (``target``, the
    path from the document the text goes into)."""
    def link(key: str) -> str:
        return f"[{key}]({target}#{key})"

    keys = "|".join(sorted(map(re.escape, schema.SOURCES), key=len, reverse=True))
    text = re.sub(rf"(?<![\w#\[`/])({keys})(?![\w\]])", lambda m: link(m[1]), text)
    return _SEED_LIST.sub(
        lambda m: re.sub(r"0\d\d", lambda n: link(f"seed{n[0]}"), m[1]), text)


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


# ------------------------------------------------------------------------------------ walking
def _model_class(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _usage(cls: type[BaseModel], counts: Counter | None = None) -> Counter:
    """How many schema fields have each nested model class as their type."""
    counts = Counter() if counts is None else counts
    for info in cls.model_fields.values():
        sub = _model_class(info.annotation)
        if sub is not None:
            counts[sub] += 1
            _usage(sub, counts)
    return counts


def _validators(cls: type[BaseModel]) -> tuple[dict[str, list[str]], list[str]]:
    """Notes of field validators by field name, and notes of model validators."""
    decorators = cls.__pydantic_decorators__
    by_field: dict[str, list[str]] = {}
    for name, dec in decorators.field_validators.items():
        for name_of_field in dec.info.fields:
            by_field.setdefault(name_of_field, []).append(
                VALIDATOR_NOTES.get(name, f"checked by `{name}`"))
    whole = [VALIDATOR_NOTES.get(name, f"checked by `{name}`")
             for name in decorators.model_validators]
    return by_field, whole


def _walk(cls: type[BaseModel], value: BaseModel, prefix: str, group: Group,
          groups: dict[str, Group], usage: Counter, context: str = "",
          fold_context: str = "") -> None:
    """Append a row to ``group`` for each leaf below ``prefix``; ``context`` prefixes the
    descriptions (the container's own description), ``fold_context`` is what a container
    without a description of its own inherits (the sub-model's description)."""
    by_field, whole = _validators(cls)
    group.notes.extend(whole)
    for name, info in cls.model_fields.items():
        path = f"{prefix}.{name}"
        text = " — ".join(p for p in (context, info.description or "") if p)
        sub = _model_class(info.annotation)
        if sub is None:
            group.rows.append(row(path, getattr(value, name), info, by_field.get(name, []),
                                  text))
        elif usage[sub] == 1 and sub.__doc__:  # a documented sub-model: its own table
            groups[path] = own = Group(path, _first_paragraph(sub.__doc__))
            _walk(sub, getattr(value, name), path, own, groups, usage,
                  fold_context=info.description or "")
        else:  # a value container (Beta, by age, by category) folds into this table
            _walk(sub, getattr(value, name), path, group, groups, usage, text or fold_context)


def groups() -> list[Group]:
    """The tables, in schema order: run fields first, then each section and its sub-models."""
    default = Scenario()
    usage = _usage(Scenario)
    run = Group("", "Run")
    for name in RUN_FIELDS:
        info = Scenario.model_fields[name]
        run.rows.append(row(name, getattr(default, name), info, [], info.description or ""))
    out: dict[str, Group] = {"": run}
    for section in SECTIONS:
        cls = _model_class(Scenario.model_fields[section].annotation)
        out[section] = Group(section, _first_paragraph(cls.__doc__))
        _walk(cls, getattr(default, section), section, out[section], out, usage)
    return [g for g in out.values() if g.rows]


def leaf_paths() -> list[str]:
    """Every key path in the table."""
    return [row.path for g in groups() for row in g.rows]


# ---------------------------------------------------------------------------------- rendering
def render() -> str:
    """The Markdown between the markers (without the markers)."""
    lines = [
        "<!-- generated by `python -m sim.odd_table` from sim/schema.py: do not edit by hand -->",
        "",
    ]
    for g in groups():
        heading = f"`{g.path}` — {g.title}" if g.path else g.title
        checked = f" Checked: {_cell('; '.join(g.notes))}." if g.notes else ""
        lines.append(f"**{link_citations(_cell(heading))}**{checked}")
        labelled = any(r.label for r in g.rows)
        label_head, label_rule = ("label | ", "---|") if labelled else ("", "")
        lines += ["", f"| key path | {label_head}default | range | unit | source | description |",
                  f"|---|{label_rule}---|---|---|---|---|"]
        for r in g.rows:
            label = f"{_cell(r.label)} | " if labelled else ""
            lines.append(f"| `{r.path}` | {label}{_cell(r.default)} | {_cell(r.range)} | "
                         f"{_cell(r.unit)} | {link_citations(_cell(r.source))} | "
                         f"{link_citations(_cell(r.description))} |")
        lines.append("")
    return "\n".join(lines)


def render_sources() -> str:
    """The sources table: every citation key a parameter may give, with its reference."""
    lines = [
        "<!-- generated by `python -m sim.odd_table` from sim/schema.py: do not edit by hand -->",
        "",
        "| key | source |",
        "|---|---|",
    ]
    lines += [f"| `{key}` | {_cell(text)} |"
              for key, text in (*schema.SOURCES.items(), *schema.SOURCE_WORDS.items())]
    return "\n".join(lines)


def render_bibliography() -> str:
    """The entries of docs/SOURCES.md: a heading per citation key of :data:`sim.schema.SOURCES`
    (its anchor, ``SOURCES.md#seed003``), then the reference."""
    lines = [
        "<!-- generated by `python -m sim.odd_table` from sim/schema.py SOURCES: do not edit by "
        "hand -->",
    ]
    for key, text in schema.SOURCES.items():
        lines += ["", f"### {key}", "", " ".join(text.split())]
    return "\n".join(lines)


def current_block(text: str, start: str = START, end: str = END) -> str:
    """The text between the markers of a document (ValueError if they are missing)."""
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"expected exactly one {start} and one {end}")
    head, rest = text.split(start)
    block, _ = rest.split(end)
    return block.strip("\n")


def replace_block(text: str, block: str, start: str = START, end: str = END) -> str:
    """``text`` with the block between the markers replaced."""
    current_block(text, start, end)  # validates the markers
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{block}\n{end}{tail}"


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """(start, end, generated block) for each generated block the document has markers for
    (the parameter table always in the ODD; the sources and pattern tables where their markers
    are; the bibliography in docs/SOURCES.md)."""
    if BIBLIOGRAPHY_START in text:
        return [(BIBLIOGRAPHY_START, BIBLIOGRAPHY_END, render_bibliography())]
    out = [(START, END, render().strip("\n"))]
    if SOURCES_START in text:
        out.append((SOURCES_START, SOURCES_END, render_sources()))
    if PATTERNS_START in text:  # ODD §9.4: the pattern catalogue of `cogov patterns`
        from sim.patterns import render_table

        out.append((PATTERNS_START, PATTERNS_END, render_table()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.odd_table", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[ODD_PATH, SOURCES_PATH],
                        help="the documents (default: docs/ODD.md and docs/SOURCES.md)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a table is stale")
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        text = path.read_text(encoding="utf-8")
        blocks = _blocks(text)
        if all(current_block(text, start, end) == block for start, end, block in blocks):
            print(f"{path}: generated tables are current ({len(leaf_paths())} parameters, "
                  f"{len(schema.SOURCES)} sources)")
        elif args.check:
            print(f"{path}: generated tables are stale; run python -m sim.odd_table")
            status = 1
        else:
            for start, end, block in blocks:
                text = replace_block(text, block, start, end)
            path.write_text(text, encoding="utf-8")
            print(f"{path}: generated tables rewritten ({len(leaf_paths())} parameters, "
                  f"{len(schema.SOURCES)} sources)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
