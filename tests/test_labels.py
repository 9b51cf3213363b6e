"""Every person-facing name in Chinese and English (sim/labels.py, issue 11 item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from ruamel.yaml import YAML

from sim import fonts, labels, metrics, patterns, schema, statistics
from sim.fonts.build_font import is_cjk

ROOT = Path(__file__).resolve().parent.parent


def varied_keys() -> set[str]:
    """The scenario keys the shipped experiments vary or set and the calibrations' priors:
    the keys a person sees in their tables and figures."""
    yaml = YAML(typ="safe")
    keys: set[str] = set()
    for path in [*ROOT.glob("experiments/*.yaml"), *ROOT.glob("calibration/*.yaml")]:
        data = yaml.load(path.read_text(encoding="utf-8"))
        for section in ("parameters", "set", "priors"):
            keys |= set(data.get(section) or {})
    keys |= {variable.key for variable in patterns.CONTEXT}
    return keys


LEVERS = [path for path in schema.key_paths() if schema.is_lever(path)]
SUMMARIES = [*metrics.summary_names(), patterns.SLOPE]
STATISTICS = list(statistics.STATISTICS)
PATTERNS = list(patterns.BY_ID)
ACTIVITIES = list(schema.ACTIVITIES)
GROUPS = [*metrics.GROUPS, *statistics.GROUPS]
EVERY_NAME = sorted({*metrics.METRICS, *SUMMARIES, *LEVERS, *varied_keys(), *STATISTICS,
                     *PATTERNS, *ACTIVITIES, *GROUPS, *schema.CATEGORIES})


def test_the_shipped_files_vary_keys_we_know():
    keys = varied_keys()
    assert {"policy.devolution", "behavior.beta_stake", "population.party_share"} <= keys
    assert all(schema.field_chain(schema.Scenario, tuple(k.split("."))) for k in keys), keys


@pytest.mark.parametrize("name", EVERY_NAME)
def test_every_name_has_a_chinese_and_an_english_label(name):
    zh, en = labels.label(name, "zh"), labels.label(name, "en")
    assert any(is_cjk(c) for c in zh), f"{name}: {zh!r} has no Chinese"
    assert not any(is_cjk(c) for c in en) and any(c.isascii() and c.isalpha() for c in en), \
        f"{name}: {en!r} is not English"
    assert labels.label(name, "both") == f"{zh} {en}"
    assert labels.label(name) == labels.label(name, "both")


@pytest.mark.parametrize("name", [*metrics.METRICS, *SUMMARIES, *LEVERS, *STATISTICS])
def test_every_quantity_has_a_unit_in_both_languages(name):
    if name == "policy.schedule":  # a list of changes, not a number: still named
        assert labels.unit(name, "en") == "list of changes"
    zh, en = labels.unit(name, "zh"), labels.unit(name, "en")
    assert zh and en, name
    assert not any(is_cjk(c) for c in en), en


def test_units_say_what_the_number_counts():
    assert labels.unit("participation_any", "zh") == "成年人占比"
    assert labels.unit("participation_any", "en") == "share of adults"
    assert labels.unit("participation_migrant", "en") == "share of the group"
    assert labels.unit("fund_spent_last12", "zh") == "元/月（全区合计）"
    assert labels.unit("fund_carried", "en") == ("yuan held unallocated at month end, district "
                                                 "total")
    assert labels.unit("policy.fund_per_community", "both") == "元/年 yuan/year"
    assert labels.unit("deliberation_odds_elder_youth", "zh") == "比值比"
    assert labels.unit("volunteer") == "" and labels.unit("fund_lever") == ""


def test_metrics_are_named_in_the_governance_terms_of_the_case_documents():
    assert labels.label("participation_deliberate", "zh") == "议事参与率"
    assert labels.label("participation_volunteer", "zh") == "志愿服务参与率"
    assert labels.label("participation_migrant", "zh") == "流动人口参与率"
    assert labels.label("participation_party", "en") == "participation of party members"
    assert labels.label("mean_public_spirit", "zh") == "平均公共精神"
    assert labels.label("time_bank_hours", "zh").startswith("时间银行")
    assert labels.label("social_orgs_active", "zh") == "活跃社会组织数"


def test_summary_labels_say_which_months():
    assert labels.label("participation_any_final", "zh") == "参与率（末月）"
    assert labels.label("participation_any_final", "en") == "participation (last month)"
    assert labels.label("mean_trust_last12", "en") == "mean trust (last-12-month mean)"
    assert labels.label("mean_trust_last12", "zh") == "平均信任（近12月均值）"
    # deliberation is closed in the run's last months: its _final is the last month it was open
    assert labels.label("participation_deliberate_final", "zh") == "议事参与率（最后开放月）"


def test_no_two_quantities_share_a_label():
    quantities = [*metrics.METRICS, *SUMMARIES, *STATISTICS]
    for lang in ("zh", "en"):
        seen: dict[str, str] = {}
        for name in quantities:
            text = labels.label(name, lang)
            assert text not in seen, f"{name} and {seen.get(text)} are both {text!r}"
            seen[text] = name


def test_labels_declared_elsewhere_are_read_where_declared():
    stat = statistics.STATISTICS["volunteer_annual"]
    assert labels.label("volunteer_annual", "zh") == stat.label.zh
    assert labels.label("migrant_gap", "en") == patterns.BY_ID["migrant_gap"].en
    assert labels.label("policy.devolution", "zh") == "居民议定"


def test_a_label_on_a_container_is_named_with_its_part():
    assert labels.label("behavior.alpha.volunteer", "zh") == "参与基础倾向：志愿服务"
    assert labels.label("behavior.cost.migrant", "en") == "time cost: migrants"
    assert labels.label("behavior.alpha.deliberate") != labels.label("behavior.alpha.monitor")


@pytest.mark.parametrize("name", ["no_such_metric", "participation_any_first",
                                  "policy.nowhere", "structure.small_world_degree"])
def test_an_unknown_name_is_a_key_error_naming_it(name):
    with pytest.raises(KeyError, match=name):
        labels.label(name)
    with pytest.raises(KeyError, match=name):
        labels.unit(name)


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr"):
        labels.label("participation_any", "fr")


def test_the_font_draws_every_chinese_label():
    cmap = TTFont(fonts.FONT_FILE, lazy=True).getBestCmap()
    words = set(labels.names()) | set(EVERY_NAME)
    text = "".join(labels.label(n, "zh") + labels.unit(n, "zh") for n in words)
    missing = sorted({c for c in text if ord(c) not in cmap and not c.isspace()})
    assert not missing, f"rebuild the font (sim/fonts/build_font.py): {''.join(missing)}"

