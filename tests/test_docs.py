"""docs/ODD.md stays true to the code: the parameter table is the schema's (sim/odd_table.py),
every schema field is in it, every function the ODD cites exists, every metric is described."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim import metrics, odd_table, schema
from sim.scenario import Scenario

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
MODULES = ("agents", "attitudes", "behavior", "community", "demands", "fund", "fund_cycle",
           "levers", "loading", "metrics", "model", "network", "odd_table", "organizations",
           "outreach", "participation", "population", "runner", "scenario", "schema",
           "street_office")
CITATION = re.compile(r"`(?:sim\.)?(" + "|".join(MODULES) + r")\.([A-Za-z_][A-Za-z0-9_.]*)")


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


def schema_leaves(cls: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every leaf key path of the schema, walked here independently of the generator."""
    out = []
    for name, info in cls.model_fields.items():
        if not prefix and name in ("name", "description"):
            continue  # labels of a run, not parameters
        path = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += schema_leaves(ann, path + ".")
        else:
            out.append(path)
    return out


def test_parameter_table_is_current(text: str) -> None:
    block = odd_table.current_block(text)
    assert block == odd_table.render().strip("\n"), (
        "docs/ODD.md parameter table is stale: run `python -m sim.odd_table`")


def test_sources_table_is_current(text: str) -> None:
    block = odd_table.current_block(text, odd_table.SOURCES_START, odd_table.SOURCES_END)
    assert block == odd_table.render_sources(), (
        "docs/ODD.md sources table is stale: run `python -m sim.odd_table`")


def test_every_parameter_source_resolves_in_the_odd(text: str) -> None:
    """Each citation key a parameter gives is an entry of the ODD's sources table (§6.3)."""
    block = odd_table.current_block(text, odd_table.SOURCES_START, odd_table.SOURCES_END)
    entries = set(re.findall(r"^\| `([^`]+)` \|", block, flags=re.MULTILINE))
    cited = {key for _, param in schema.parameters() if param for key in param.sources}
    assert cited <= entries, f"sources missing from docs/ODD.md §6.3: {cited - entries}"


def test_the_lever_rows_show_both_labels(text: str) -> None:
    block = odd_table.current_block(text)
    for path in schema.key_paths():
        label = schema.metadata(path, schema.Label)
        if schema.is_lever(path):
            row = next(line for line in block.splitlines() if line.startswith(f"| `{path}` |"))
            assert f"{label.zh} · {label.en}" in row, row


def test_every_schema_field_is_in_the_table(text: str) -> None:
    block = odd_table.current_block(text)
    listed = set(re.findall(r"^\| `([^`]+)` \|", block, flags=re.MULTILINE))
    missing = [p for p in schema_leaves() if p not in listed]
    assert not missing, f"schema fields missing from the ODD table: {missing}"
    assert listed == set(schema_leaves()), "the table lists a key the schema does not have"


def test_every_validator_is_described() -> None:
    """A new schema validator should say in words what it demands (odd_table.VALIDATOR_NOTES)."""
    unnamed = [row.range for g in odd_table.groups() for row in g.rows
               if "checked by" in row.range]
    unnamed += [note for g in odd_table.groups() for note in g.notes if "checked by" in note]
    assert not unnamed, f"add these validators to odd_table.VALIDATOR_NOTES: {unnamed}"


def _schema_paths() -> set[str]:
    paths = set()
    for leaf in schema_leaves():
        parts = leaf.split(".")
        paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return paths


def test_cited_code_exists(text: str) -> None:
    """`module.name` in the ODD names a function, class, attribute or a schema key path."""
    schema = _schema_paths()
    cited = {(m, name.rstrip(".")) for m, name in CITATION.findall(text)}
    assert len(cited) > 30, "the ODD should cite the functions that implement each equation"
    broken = []
    for module_name, dotted in sorted(cited):
        if f"{module_name}.{dotted}" in schema:
            continue
        obj = importlib.import_module(f"sim.{module_name}")
        try:
            for part in dotted.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            broken.append(f"{module_name}.{dotted}")
    assert not broken, f"the ODD cites code that does not exist: {broken}"


def test_every_output_is_described(text: str) -> None:
    section = text.split("## 8", 1)[1].split("\n## 9", 1)[0]
    missing = [m for m in (*metrics.METRICS, *metrics.EXTRA_SUMMARY, *metrics.COMMUNITY_SPREAD)
               if f"`{m}`" not in section]
    assert not missing, f"ODD §8 lacks {missing}"


def test_generator_rewrites_only_the_block(tmp_path: Path) -> None:
    doc = tmp_path / "odd.md"
    doc.write_text(f"before\n{odd_table.START}\nold\n{odd_table.END}\nafter\n", encoding="utf-8")
    assert odd_table.main([str(doc), "--check"]) == 1
    assert odd_table.main([str(doc)]) == 0
    new = doc.read_text(encoding="utf-8")
    assert new.startswith(f"before\n{odd_table.START}\n")
    assert new.endswith(f"{odd_table.END}\nafter\n")
    assert odd_table.current_block(new) == odd_table.render().strip("\n")
    assert odd_table.main([str(doc), "--check"]) == 0
