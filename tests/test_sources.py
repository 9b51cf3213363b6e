"""Every citation a reader meets resolves to an entry of docs/SOURCES.md.

The citations are found here, independently of the code that writes them, in the files a user
reads: scenarios, experiments and calibration files, the docs and README, the schema (its field
descriptions, ``Param`` sources and ``SOURCES``), the pattern catalogue and the calibration
benchmark. Forms: citation keys (``seed003``, ``ledyard1995``, any key of docs/SOURCES.md),
"seed 003" phrases (and "seeds 000 and 002"), author–year ("Ledyard 1995", "Kampen et al.
2006", "Ledyard, J. O. (1995)"; also place–year figures such as "Chongqing 2020", which must be
traceable as well), links to ``SOURCES.md#key``, and ``MODEL.md``, which users do not have and so
never resolves. A key or link resolves when docs/SOURCES.md has an entry (``### key``) of that
name; an author–year when an entry names that author and year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from sim import odd_table, schema

ROOT = Path(__file__).resolve().parents[1]
SOURCES_MD = ROOT / "docs" / "SOURCES.md"
READ_BY_USERS = ("scenarios/*.yaml", "experiments/*.yaml", "calibration/*.yaml", "docs/*.md",
                 "README.md", "sim/schema.py", "sim/patterns.py", "benchmarks/calibration.py")

KEY = re.compile(r"(?<![\w.#/-])(seed\d{3}|[a-z]+(?:19|20)\d{2})(?![\w-])")
SEED_PHRASE = re.compile(r"\b[Ss]eeds? (0\d\d(?:(?:,| and| or|/|–| &) ?0\d\d)*)\b")
AUTHOR_YEAR = re.compile(
    r"(?P<name>[A-Z][\w-]*[a-zäöüéç])(?:['’]s)?(?: et al\.?)?(?:,(?: ?[A-Z]\.)+)?,? \(?"
    r"(?P<year>(?:19|20)\d{2})(?![\d])")
LINK = re.compile(r"SOURCES\.md#([\w-]+)")
SEED_ACROSS_LINES = re.compile(r"\b[Ss]eeds?[ \t]*\n[ \t#]*(0\d\d)\b")
MODEL_MD = re.compile(r"MODEL\.md")
MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"}
"""Words before a year that date something rather than cite it."""


@dataclass(frozen=True)
class Citation:
    where: str   # file:line
    form: str    # key, seed, author-year, link, MODEL.md
    text: str    # as written
    key: str     # the key it names, or "name year" for author–year

    def __str__(self) -> str:
        return f"{self.where}: {self.form} {self.text!r}"


def bibliography(text: str) -> dict[str, str]:
    """Entry key → entry text of a SOURCES.md (``### key`` headings of the generated block)."""
    block = odd_table.current_block(text, odd_table.BIBLIOGRAPHY_START,
                                    odd_table.BIBLIOGRAPHY_END)
    parts = re.split(r"^### (\S+)\n", block, flags=re.MULTILINE)
    return {key: body.strip() for key, body in zip(parts[1::2], parts[2::2], strict=True)}


def citations(text: str, where: str, known: set[str] = frozenset()) -> list[Citation]:
    """Every citation in ``text``, in every form (``known``: keys without a year to find too)."""
    out = []
    named = re.compile(rf"(?<![\w#/-])({'|'.join(map(re.escape, known)) or '(?!)'})(?![\w-])")
    for n, line in enumerate(text.splitlines(), 1):
        at = f"{where}:{n}"
        keys = {m[1] for m in KEY.finditer(line)} | {m[1] for m in named.finditer(line)}
        out += [Citation(at, "key", k, k) for k in sorted(keys)]
        for m in SEED_PHRASE.finditer(line):
            out += [Citation(at, "seed", m[0], f"seed{d}") for d in re.findall(r"0\d\d", m[1])]
        out += [Citation(at, "author-year", m[0], f"{m['name']} {m['year']}")
                for m in AUTHOR_YEAR.finditer(line) if m["name"] not in MONTHS]
        out += [Citation(at, "link", m[0], m[1]) for m in LINK.finditer(line)]
        out += [Citation(at, "MODEL.md", m[0], "") for m in MODEL_MD.finditer(line)]
    for m in SEED_ACROSS_LINES.finditer(text):  # "seed" at the end of a line, "003" on the next
        at = f"{where}:{text.count(chr(10), 0, m.start()) + 1}"
        out.append(Citation(at, "seed", m[0], f"seed{m[1]}"))
    return out


def resolves(citation: Citation, entries: dict[str, str]) -> bool:
    if citation.form == "MODEL.md":
        return False
    if citation.form != "author-year":
        return citation.key in entries
    name, year = citation.key.split()
    return any(re.search(rf"\b{re.escape(name)}\b", body) and year in body
               for body in entries.values())


@pytest.fixture(scope="module")
def entries() -> dict[str, str]:
    return bibliography(SOURCES_MD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def found(entries: dict[str, str]) -> list[Citation]:
    files = sorted({p for pattern in READ_BY_USERS for p in ROOT.glob(pattern)} - {SOURCES_MD})
    out = []
    for path in files:
        out += citations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)),
                         set(entries))
    cited_by_parameters = {k for _, param in schema.parameters() if param for k in param.sources}
    out += [Citation("sim/schema.py", "Param source", k, k)
            for k in sorted(cited_by_parameters - set(schema.SOURCE_WORDS))]
    return out


def test_the_bibliography_is_the_schemas_sources() -> None:
    """docs/SOURCES.md's entries are generated from sim.schema.SOURCES, the one list."""
    block = odd_table.current_block(SOURCES_MD.read_text(encoding="utf-8"),
                                    odd_table.BIBLIOGRAPHY_START, odd_table.BIBLIOGRAPHY_END)
    assert block == odd_table.render_bibliography(), (
        "docs/SOURCES.md is stale: run `python -m sim.odd_table`")


def test_every_citation_has_an_entry(found: list[Citation], entries: dict[str, str]) -> None:
    broken = [str(c) for c in found if not resolves(c, entries)]
    assert not broken, ("citations with no entry in docs/SOURCES.md (MODEL.md is not "
                        "distributed: cite a docs/ODD.md section or the entry of its source):\n"
                        + "\n".join(broken))


def test_every_form_is_found(found: list[Citation]) -> None:
    """The search sees the forms the repository uses, so an empty search cannot pass."""
    forms = {c.form for c in found}
    assert {"key", "seed", "author-year", "link", "Param source"} <= forms, forms


def test_each_unresolved_form_is_reported() -> None:
    entries = {"seed003": "…", "ledyard1995": "Ledyard, J. O. (1995). Public goods"}
    text = ("ok: seed003, seed 003, Ledyard 1995, Ledyard, J. O. (1995), [x](SOURCES.md#seed003)"
            ", 12 March 2021\n"
            "broken: seed 007, seeds 003 and 009, smith1999, Ledyard 1996, Ostrom et al. 1990,"
            " Doe, J. (2001), [y](docs/SOURCES.md#nokey), MODEL.md §2, seed\n  # 008")
    broken = [c for c in citations(text, "x.md") if not resolves(c, entries)]
    assert {c.where for c in broken} == {"x.md:2"}
    assert sorted((c.form, c.key) for c in broken) == [
        ("MODEL.md", ""), ("author-year", "Doe 2001"), ("author-year", "Ledyard 1996"),
        ("author-year", "Ostrom 1990"), ("key", "smith1999"), ("link", "nokey"),
        ("seed", "seed007"), ("seed", "seed008"), ("seed", "seed009")]


def test_case_documents_have_chinese_and_english_titles(entries: dict[str, str]) -> None:
    """Each seed entry names its file and gives the Chinese title with an English translation."""
    seeds = {k: v for k, v in entries.items() if re.fullmatch(r"seed\d{3}", k)}
    assert sorted(seeds) == [f"seed00{i}" for i in range(5)]
    for key, body in seeds.items():
        assert f"seeds/{key[4:]}_" in body, key
        assert re.search(r"[\u4e00-\u9fff]{6,}[^\[]*\[[A-Z][^\]]{20,}\]", body), key


def test_calibration_targets_cite_their_source(entries: dict[str, str]) -> None:
    """Each target's ``source:`` names at least one entry (or says it is synthetic)."""
    for path in sorted((ROOT / "calibration").glob("*.yaml")):
        targets = yaml.safe_load(path.read_text(encoding="utf-8"))["targets"]
        for name, target in targets.items():
            source = " ".join(target["source"].split())
            if source.startswith("synthetic"):
                continue
            cited = citations(source, f"{path.name} {name}", set(entries))
            assert cited, f"{path.name} targets.{name}.source cites nothing: {source!r}"
            broken = [str(c) for c in cited if not resolves(c, entries)]
            assert not broken, f"{path.name} targets.{name}.source: {broken}"
