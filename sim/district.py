"""Uneven districts: reading and checking the table of communities (ODD §2.1 "Uneven
districts"; INTERFACE.md "Files").

``structure.communities`` gives one row per community: ``name``, ``street_office`` (a name or
a number), ``residents`` (adults) and a column per key of :data:`sim.schema.COMMUNITY_KEYS`
named by its key path (``population.migrant_share``, ``policy.fund_per_community``, …). It is
written as a path to a CSV file or to a YAML file holding a list of rows (relative to the
scenario file that names it), or as a list of rows inline; a row of the list may also give its
settings under ``settings:`` (as a manifest writes them). Only ``residents`` is required: a
blank or missing ``street_office`` is ``"1"``, a blank or missing ``name`` is
``<street_office>-<k>`` (the k-th community of that street office, 1-based, as for a uniform
structure), and a blank setting takes the scenario's value.

:func:`resolve` turns any of these forms into the rows :class:`sim.schema.CommunityRow` holds,
and reports every bad cell at once, each located by file, line and column and the key it sets:

    communities.csv:5 column population.migrant_share (sets population.migrant_share of 石塘社区):
    must be between 0 and 1, got 1.4

CSV files are read with the csv module (UTF-8, with or without a byte-order mark); the line is
the file's line where the row starts, so it is the line an editor shows.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.loading import dotted, flatten, get_path, read_yaml, set_path
from sim.schema import (
    AGE_GROUPS,
    COMMUNITY_KEYS,
    Structure,
    age_share_total,
    bounds,
    key_bounds,
    name_text,
    range_words,
)

if TYPE_CHECKING:
    import numpy as np

TABLE = ("structure", "communities")
"""The key path of the table in a scenario."""

IDENTITY = ("name", "street_office", "residents")
"""The columns that say which community a row is (every other column is a setting)."""

COLUMNS = (*IDENTITY, *COMMUNITY_KEYS)
"""Every column a table may have."""

DEFAULT_STREET = "1"
"""The street office of a row that names none."""

SETTINGS = frozenset(COMMUNITY_KEYS)

AGE_KEYS = tuple(f"population.age_shares.{group}" for group in AGE_GROUPS)


@dataclass
class RawRow:
    """One row as written: column → cell (text from a CSV, any value from YAML), where it is
    (file, the row's line, each cell's line), and how to name a cell in a message."""

    cells: dict[str, Any]
    file: str
    line: int | None
    index: int  # 0-based position in the table
    csv: bool
    cell_lines: dict[str, int | None] = field(default_factory=dict)

    def at(self, column: str, message: str, sets: str | None = None,
           name: str | None = None) -> Problem:
        """A problem of cell ``column`` of this row."""
        line = self.cell_lines.get(column) or self.line
        if self.csv:
            of = f" of {name}" if name else ""
            key = f"column {column}" + (f" (sets {sets}{of})" if sets else of)
        else:
            key = dotted((*TABLE, self.index, column))
        return Problem(message, self.file, line, key)


# ------------------------------------------------------------------------------- resolution
def resolve(data: dict, where: dict, source: str,
            replaced: Iterable[str] = ()) -> tuple[dict, list[Problem]]:
    """``data`` (a scenario merged with the defaults) with its table of communities read,
    checked and written as plain rows (``name``, ``street_office``, ``residents``,
    ``settings``), and the problems found: every bad cell, located. ``where`` (the line map)
    gains the place of each row and cell. Columns of keys in ``replaced`` (district-wide
    overrides) are dropped: the override holds in every community. With problems the table is
    left out (None) so that the rest of the scenario can still be checked. No table: ``data``
    unchanged."""
    given = get_path(data, TABLE)
    if given is None:
        return data, []
    rows: list[RawRow] = []
    try:
        rows, problems = raw_rows(given, where, source)
        clean = []
        if any("residents" in row.cells for row in rows):  # else: "no residents column"
            clean, cell_problems = check(rows, get_path(data, ("population", "age_shares")),
                                         replaced)
            problems += cell_problems
    except ScenarioError as exc:
        clean, problems = [], exc.located
    for row in rows if not problems else ():
        where.setdefault((*TABLE, row.index), (row.file, row.line))
        for column, cell in row.cells.items():  # given, replaced or not (replaced_warnings)
            if column in SETTINGS and not _blank(cell):
                where[(*TABLE, row.index, "settings", column)] = (
                    row.file, row.cell_lines.get(column) or row.line)
    set_path(data, TABLE, None if problems else clean)
    return data, problems


def raw_rows(given: Any, where: Mapping, source: str) -> tuple[list[RawRow], list[Problem]]:
    """The rows of a table given as a path (CSV, YAML list) or as an inline list, and the
    problems of its columns (unknown, or no ``residents``); ScenarioError if it cannot be
    read."""
    file, line = where.get(TABLE, (source, None))
    if isinstance(given, str):
        path = table_path(given, file, line)
        if path.suffix.lower() == ".csv":
            return read_csv(path)
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml_rows(path)
        raise ScenarioError(Problem(f"must be a .csv, .yaml or .yml file, got {given!r}",
                                    file, line, dotted(TABLE)))
    if isinstance(given, list | tuple):
        return list_rows(given, where, file)
    raise ScenarioError(Problem("must be a path to a table (communities.csv) or a list of rows, "
                                f"got {given!r}", file, line, dotted(TABLE)))


def table_path(given: str, file: str, line: int | None) -> Path:
    """The table's path: relative to the scenario file that names it (the working directory
    when an override named it); ScenarioError if it is not a file."""
    base = Path(file).parent if line is not None and Path(file).is_file() else Path()
    path = base / given
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "file not found"
        raise ScenarioError(Problem(f"{what}: {path}", file, line, dotted(TABLE)))
    return path


def read_csv(path: Path) -> tuple[list[RawRow], list[Problem]]:
    """The rows of a CSV table and the problems of its columns: the first non-blank line is
    the header; blank lines (also ``,,,``) are skipped; each row keeps the line where it
    starts."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            records = []
            reader = csv.reader(handle)
            start = 1
            for cells in reader:
                records.append((start, [cell.strip() for cell in cells]))
                start = reader.line_num + 1
    except UnicodeDecodeError:
        raise ScenarioError(Problem("cannot read: not UTF-8 text (save the table as “CSV UTF-8”; "
                                    "a spreadsheet's plain CSV may be GBK)", str(path),
                                    _first_bad_line(path))) from None
    except (OSError, csv.Error) as exc:
        raise ScenarioError(Problem(f"cannot read: {exc}", str(path))) from None
    records = [(line, cells) for line, cells in records if any(cells)]
    if not records:
        raise ScenarioError(Problem("the table is empty: give a header (name, street_office, "
                                    "residents, …) and one row per community", str(path)))
    (head_line, header), body = records[0], records[1:]
    problems = []
    named = [(i, column) for i, column in enumerate(header) if column]
    for i, column in enumerate(header):
        if not column and any(len(cells) > i and cells[i] for _, cells in body):
            problems.append(Problem(f"column {i + 1} has cells but no name in the header",
                                    str(path), head_line))
    seen = set()
    for _, column in named:
        if column in seen:
            problems.append(Problem(f"column {column} appears twice in the header", str(path),
                                    head_line))
        seen.add(column)
    rows = []
    for index, (line, cells) in enumerate(body):
        if len(cells) > len(header) and any(cells[len(header):]):
            problems.append(Problem(f"has {len(cells)} cells, the header {len(header)} columns",
                                    str(path), line))
        row = {column: cells[i] if i < len(cells) else "" for i, column in named}
        rows.append(RawRow(row, str(path), line, index, csv=True))
    if problems:
        raise ScenarioError(problems)
    if not rows:
        raise ScenarioError(Problem("the table has a header but no rows: give one row per "
                                    "community", str(path), head_line))
    return rows, _check_columns(rows, [column for _, column in named], str(path), head_line)


def _first_bad_line(path: Path) -> int | None:
    """The line of the first byte of ``path`` that is not UTF-8 (None if it cannot be read)."""
    try:
        data = path.read_bytes()
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        return data[:start].count(b"\n") + 1
    except OSError:
        return None
    return None


def yaml_rows(path: Path) -> tuple[list[RawRow], list[Problem]]:
    """The rows of a YAML file holding a list of row mappings, and its columns' problems."""
    from sim.loading import _record_lines

    raw = read_yaml(path)
    if not isinstance(raw, list):
        raise ScenarioError(Problem("must be a list of rows (- {name: …, residents: …})",
                                    str(path), 1))
    where: dict = {}
    _record_lines(raw, TABLE, path, where)
    from sim.loading import _plain

    return list_rows(_plain(raw), where, str(path))


def list_rows(given: list | tuple, where: Mapping,
              file: str) -> tuple[list[RawRow], list[Problem]]:
    """The rows of a YAML list (inline, or read from a file with line map ``where``) and the
    problems of its columns."""
    if not given:
        raise ScenarioError(Problem("has no communities: give one row per community", file,
                                    where.get(TABLE, (file, None))[1], dotted(TABLE)))
    rows, problems = [], []
    for index, item in enumerate(given):
        here = where.get((*TABLE, index), (file, None))
        if hasattr(item, "model_dump"):
            item = item.model_dump()
        if not isinstance(item, Mapping):
            problems.append(Problem(f"must be a mapping (name: …, residents: …), got {item!r}",
                                    here[0], here[1], dotted((*TABLE, index))))
            continue
        cells, lines = {}, {}
        for keys, value in flatten(_without_settings(item)):
            column = ".".join(keys)
            cells[column] = value
            lines[column] = _line_of(where, (*TABLE, index), keys, item)
        rows.append(RawRow(cells, here[0], here[1], index, csv=False, cell_lines=lines))
    if problems:
        raise ScenarioError(problems)
    columns = list(dict.fromkeys(column for row in rows for column in row.cells))
    return rows, _check_columns(rows, columns, file, None)


def _without_settings(item: Mapping) -> dict:
    """A row mapping with a ``settings:`` mapping (a manifest's form) merged into the row."""
    out = {key: value for key, value in item.items() if key != "settings"}
    settings = item.get("settings")
    if isinstance(settings, Mapping):
        out.update(settings)
    elif "settings" in item and settings is not None:
        out["settings"] = settings
    return out


def _line_of(where: Mapping, row: tuple, keys: tuple, item: Mapping) -> int | None:
    """The line of a row's cell: its key written dotted or nested, or under settings:."""
    for loc in ((*row, *keys), (*row, ".".join(keys)), (*row, "settings", ".".join(keys))):
        hit = where.get(loc)
        if hit:
            return hit[1]
    return None


def _check_columns(rows: list[RawRow], columns: list[str], file: str,
                   line: int | None) -> list[Problem]:
    """The problems of unknown columns (with a suggestion) and a missing ``residents``; the
    cells of the other columns are still checked (:func:`check` reads only known columns)."""
    problems = []
    for column in columns:
        if column in COLUMNS:
            continue
        message = unknown_column(column)
        first = next(row for row in rows if column in row.cells) if not line else None
        problems.append(first.at(column, message) if first is not None
                        else Problem(message, file, line, f"column {column}"))
    if "residents" not in columns:
        problems.append(Problem("no residents column: give each community's adults", file,
                                line, None if line else dotted(TABLE)))
    return problems


def unknown_column(column: str) -> str:
    """Why ``column`` is not a column of the table, with a "did you mean"."""
    from sim.schema import key_paths

    if column in key_paths():
        return (f"'{column}' cannot differ per community; the columns that can: "
                f"{', '.join(COMMUNITY_KEYS)}")
    hint = did_you_mean(column, COLUMNS)
    if hint:
        return f"unknown column '{column}'{hint}"
    return f"unknown column '{column}'; the columns are: {', '.join(COLUMNS)}"


# ---------------------------------------------------------------------------------- cells
def check(rows: list[RawRow], district_ages: Any,
          replaced: Iterable[str] = ()) -> tuple[list[dict], list[Problem]]:
    """The rows as plain mappings (``name``, ``street_office``, ``residents``, ``settings``)
    and every problem of their cells: numbers out of range or not numbers, a missing
    ``residents``, age shares of a row not adding up to 1 (with the scenario's shares where the
    row leaves one blank), a name used twice. Columns of ``replaced`` keys are dropped."""
    dropped = replaced_columns(replaced)
    problems: list[Problem] = []
    out: list[dict] = []
    per_street: dict[str, int] = {}
    seen: dict[str, RawRow] = {}
    low, high = bounds(Structure, ("residents_per_community",))
    for row in rows:
        cells = row.cells
        street = name_text(cells.get("street_office"))
        if _blank(street):
            street = DEFAULT_STREET
        elif not isinstance(street, str):
            problems.append(row.at("street_office", f"must be a name or a number, got {street!r}"))
            street = DEFAULT_STREET
        per_street[street] = per_street.get(street, 0) + 1
        name = name_text(cells.get("name"))
        if _blank(name):
            name = f"{street}-{per_street[street]}"
        elif not isinstance(name, str):
            problems.append(row.at("name", f"must be a name, got {name!r}"))
            name = f"{street}-{per_street[street]}"
        if name in seen:
            first = seen[name]
            problems.append(row.at("name", f"'{name}' is already the name of the community "
                                           f"on line {first.line}" if first.line else
                                           f"'{name}' is already the name of row "
                                           f"{first.index + 1}"))
        seen.setdefault(name, row)
        residents, bad_size = _number(cells.get("residents"), whole=True)
        if bad_size is None and not low <= residents <= high:
            bad_size = f"must be {range_words(low, high)}, got {residents:g}"
        if bad_size:
            problems.append(row.at("residents", bad_size, name=name))
        settings = {}
        for column, cell in cells.items():
            if column not in SETTINGS or column in dropped or _blank(cell):
                continue
            value, message = _number(cell)
            if message is None:
                k_low, k_high = key_bounds(column)
                if (k_low is not None and value < k_low) or (k_high is not None
                                                              and value > k_high):
                    message = f"must be {range_words(k_low, k_high)}, got {value:g}"
            if message:
                problems.append(row.at(column, message, column, name))
            else:
                settings[column] = value
        if isinstance(district_ages, Mapping) and any(key in settings for key in AGE_KEYS):
            try:
                total = age_share_total(settings, district_ages)
            except (KeyError, TypeError):
                total = 1.0  # the scenario's own age shares are wrong: reported there
            if abs(total - 1.0) > 1e-6:
                given = next(key for key in AGE_KEYS if key in settings)
                problems.append(row.at(
                    given, f"the age shares of this community add up to {total:g}, not 1 "
                    "(a blank share takes the scenario's)", "population.age_shares", name))
        out.append({"name": name, "street_office": street,
                    "residents": int(residents) if bad_size is None else low,
                    "settings": settings})
    return out, problems


def replaced_columns(replaced: Iterable[str]) -> set[str]:
    """The columns a district-wide override of the keys ``replaced`` replaces: the key itself,
    the keys under a section it replaces whole, and all three age shares when it sets one
    (the shares of a community must add up to 1 together)."""
    out = set()
    for key in replaced:
        key = str(key)
        for column in COMMUNITY_KEYS:
            if column == key or column.startswith(f"{key}.") or key.startswith(f"{column}."):
                out.add(column)
    if out & set(AGE_KEYS):
        out |= set(AGE_KEYS)
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any, whole: bool = False) -> tuple[float, str | None]:
    """(the cell as a number, None) or (0, why it is not one)."""
    if _blank(value):
        return 0.0, "is required" if whole else "is blank"
    if isinstance(value, bool):
        return 0.0, f"must be a number, not {'true' if value else 'false'}"
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return 0.0, f"must be a number, got {value!r}{_how_to_write(value.strip())}"
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return 0.0, f"must be a number, got {value!r}"
    if not math.isfinite(number):
        return 0.0, f"must be a finite number, got {value!r}"
    if whole and not number.is_integer():
        return 0.0, f"must be a whole number, got {value!r}"
    return number, None


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PERCENT = re.compile(r"([+-]?\d+(\.\d+)?)\s*%")


def _how_to_write(text: str) -> str:
    """Advice for a number a spreadsheet saved as shown (a CSV holds a cell's display): with
    thousands separators (1,200) or as a percent (62%)."""
    if _THOUSANDS.fullmatch(text):
        return f" (write it without the thousands separator: {text.replace(',', '')})"
    percent = _PERCENT.fullmatch(text)
    if percent:
        return f" (write a share as a fraction: {float(percent.group(1)) / 100:g})"
    return ""


_TARGET = re.compile(r"policy\.schedule\[\d+\]\.(community|street_office)$")


def is_target_problem(problem: Problem) -> bool:
    """Whether ``problem`` is about the community or street office a scheduled change targets
    (which cannot be judged while the table itself has problems)."""
    return bool(problem.key and _TARGET.match(problem.key))


# --------------------------------------------------------------------------------- warnings
def replaced_warnings(where: Mapping, source: str = "<scenario>") -> list[str]:
    """Warnings, one per district-wide override (``--set``, a sweep) of a key the table also
    gives as a column: ``--set policy.fund_per_community: warning: replaces the column …``.
    Read from the line map ``where`` (as from :func:`sim.schema.load_located`): an override
    is a key path placed with no line; the table's cells are placed by :func:`resolve`."""
    cells = table_columns(where)
    warnings = []
    for loc, (label, line) in where.items():
        if line is not None or not loc or loc[0] not in ("population", "policy"):
            continue
        warnings += [str(Problem(message, label, None, dotted(loc)))
                     for message in replaced_messages(".".join(map(str, loc)), cells)]
    return warnings


def table_columns(where: Mapping) -> dict[str, str]:
    """Column → the table's file, for every setting column with a cell in the table, from the
    line map ``where`` (the cells are placed by :func:`resolve`, replaced or not)."""
    cells: dict[str, str] = {}
    for loc, place in where.items():
        if len(loc) == 5 and loc[:2] == TABLE and loc[3] == "settings":
            cells.setdefault(loc[4], place[0])
    return cells


def replaced_messages(key: str, cells: Mapping[str, str]) -> list[str]:
    """The warning for each column of ``cells`` (:func:`table_columns`) that a district-wide
    value of ``key`` replaces."""
    return [f"warning: replaces the column {column} of {cells[column]}: the district-wide "
            "value holds in every community"
            for column in sorted(replaced_columns([key]) & set(cells))]


# ------------------------------------------------------------------------------ in the model
def community_settings(scenario: Any, n_communities: int) -> dict[str, np.ndarray]:
    """Key path → (C,) value of every key of :data:`COMMUNITY_KEYS` in each community at the
    start of a run: the table's cell where it gives one, else the scenario's value (the
    model's ``community_settings``; shares in [0, 1], the fund in yuan a year)."""
    import numpy as np  # here: reading and checking a table (cogov validate) needs no numpy

    data = {"population": scenario.population, "policy": scenario.policy}
    rows = scenario.structure.communities
    out = {}
    for key in COMMUNITY_KEYS:
        section, *rest = key.split(".")
        value = data[section]
        for part in rest:
            value = getattr(value, part)
        if rows is None:
            out[key] = np.full(n_communities, float(value))
        else:
            out[key] = np.array([row.settings.get(key, value) for row in rows], dtype=float)
    return out


def target_mask(layout: Any, kind: str, name: str) -> np.ndarray:
    """(C,) bool: the communities a scheduled change for ``kind`` ("community" or
    "street_office") ``name`` applies to (names as in ``layout``)."""
    import numpy as np

    if kind == "community":
        return np.asarray(layout.community_names) == name
    street = layout.street_names.index(name)
    return layout.street_of_community == street
