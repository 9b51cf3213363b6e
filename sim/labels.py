"""Every name a person reads, in Chinese and English: one lookup for tables, figures and reports.

``label(name, lang)`` and ``unit(name, lang)`` know:

- the monthly metrics of :data:`sim.metrics.METRICS` and the run summaries
  (``<metric>_final``, ``<metric>_last12``, :data:`sim.metrics.EXTRA_SUMMARY`, the spread across
  communities ``<name>_community_min``/``_community_range``, the patterns' participation slope);
- scenario key paths (``policy.devolution``): the :class:`sim.schema.Label` declared in the
  schema, composed with the leaf's word where the label sits on a container
  (``behavior.alpha.volunteer`` → "参与基础倾向：志愿服务");
- named statistics (:data:`sim.statistics.STATISTICS`) and pattern ids
  (:data:`sim.patterns.BY_ID`), with the labels declared there;
- activities, groups and project categories.

The words live here once and the names are composed from them; the schema's, the statistics'
and the patterns' labels are read where they are declared. The standard Chinese terms of
community governance follow the case documents (``shared/seeds/``): 议事, 志愿服务, 监督, 居民,
流动人口, 党员, 社区基金, 社会组织, 自组织, 时间银行, 满意度, 信任, 公共精神, 效能感, 依赖, 归属感.

``lang`` is one of :data:`LANGS`: ``zh``, ``en`` or ``both`` ("中文 English"). A figure that
cannot draw Chinese uses ``en`` (``sim.fonts.matplotlib_lang``).
"""

from __future__ import annotations

from functools import cache

from sim import metrics

LANGS = ("zh", "en", "both")
"""The languages of every person-facing word: Chinese, English, or both ("中文 English")."""

Words = tuple[str, str]
"""(Chinese, English)."""

ACTIVITIES: dict[str, Words] = {
    "deliberate": ("议事", "deliberation"),
    "volunteer": ("志愿服务", "volunteering"),
    "monitor": ("监督", "monitoring"),
    "any": ("任一活动", "any activity"),
}
"""The activities of MODEL.md §2 (``schema.ACTIVITIES``), and taking part in any of them."""

GROUPS: dict[str, Words] = {
    "local": ("本地居民", "locals"),
    "migrant": ("流动人口", "migrants"),
    "party": ("党员", "party members"),
    "nonparty": ("非党员", "non-members"),
    "youth": ("青年（18–34岁）", "youth (18–34)"),
    "adult": ("中年（35–59岁）", "adults (35–59)"),
    "elder": ("老年（60岁及以上）", "elders (60+)"),
    "all": ("全体成年居民", "all adults"),
}
"""The groups of ``participation_<group>`` (``metrics.GROUPS``) and of the statistics."""

CATEGORIES: dict[str, Words] = {
    "elder_care": ("养老", "elder care"),
    "childcare": ("托育", "childcare"),
    "environment": ("环境", "environment"),
    "safety": ("安全", "safety"),
    "culture": ("文化", "culture"),
    "facilities": ("设施", "facilities"),
}
"""The project categories (``schema.CATEGORIES``)."""

_LEAVES: dict[str, Words] = {
    # the parts of a container key whose label is declared on the container
    **ACTIVITIES, **GROUPS, **CATEGORIES,
    "employed": ("在职", "employed"),
    "care_duty": ("照料家人", "care duties"),
    "dual_registration_relief": ("双报到减负", "dual-registration relief"),
    "a": ("形状参数a", "shape a"),
    "b": ("形状参数b", "shape b"),
}

METRIC_WORDS: dict[str, Words] = {
    "mean_efficacy": ("平均效能感", "mean efficacy"),
    "mean_trust": ("平均信任", "mean trust"),
    "mean_public_spirit": ("平均公共精神", "mean public spirit"),
    "mean_dependency": ("平均依赖", "mean dependency"),
    "mean_attachment": ("平均归属感", "mean attachment"),
    "mean_satisfaction": ("平均满意度", "mean satisfaction"),
    "needs_met": ("需求满足度", "needs met"),
    "self_orgs_active": ("居民自组织数", "self-organizations"),
    "social_orgs_active": ("活跃社会组织数", "active social organizations"),
    "social_orgs_zombie": ("僵尸社会组织数", "zombie social organizations"),
    "projects_delivered": ("完成项目数", "projects delivered"),
    "fund_spent": ("社区基金支出", "community fund spent"),
    "fund_leaked": ("社区基金流失", "community fund leaked"),
    "fund_carried": ("社区基金结余", "community fund carried"),
    "foundation_balance": ("社区基金会余额", "foundation balance"),
    "incentive_paid": ("积分兑付", "incentives paid"),
    "time_bank_hours": ("时间银行兑换时长", "time-bank hours redeemed"),
    "foundation_income": ("社区基金会收入", "foundation income"),
    "delivered_quality": ("项目质量", "quality of delivered projects"),
    "mean_degree": ("平均邻里关系数", "mean ties per adult"),
    "residents_moved": ("迁入居民", "adults moved in"),
    "problems_open": ("有待解决问题的居民比例", "adults with an open problem"),
    "problems_resolved": ("解决问题数", "problems resolved"),
    "backlog": ("积压问题数", "backlog of problems"),
    "sd_trust": ("信任的离散程度", "spread of trust"),
}
"""The monthly metrics that are not participation (those are composed from their activity or
group: ``participation_migrant`` → "流动人口参与率")."""

SUMMARY_WORDS: dict[str, Words] = {
    "representation_gap": ("流动人口代表性差距", "migrant representation gap"),
    "yuan_per_satisfaction": ("每单位满意度提升的支出", "yuan per unit of satisfaction gained"),
    "yuan_paid_total": ("支付总额（全程）", "yuan paid, whole run"),
    "participation_any_slope_last60": ("参与率趋势（最后60个月）",
                                       "participation trend, last 60 months"),
}
"""The per-run extras (``metrics.EXTRA_SUMMARY``) and the patterns' slope
(``patterns.SLOPE``)."""

_SPREAD: dict[str, Words] = {
    "community_min": ("最低的社区", "lowest community"),
    "community_range": ("社区间极差（最高减最低）", "range across communities (highest − lowest)"),
}
"""The spread across communities (``metrics.SPREAD``) of a ``metrics.COMMUNITY_SPREAD`` name."""
_FINAL: Words = ("末月", "last month")
_FINAL_OPEN: Words = ("最后开放月", "last month open")
_LAST: Words = (f"近{metrics.LAST_WINDOW}月均值", f"last-{metrics.LAST_WINDOW}-month mean")

UNIT_WORDS: dict[str, Words] = {
    # metrics.UNITS
    "share of adults in [0,1]": ("成年人占比", "share of adults"),
    "mean in [0,1]": ("均值（0–1）", "mean (0–1)"),
    "need-weighted share served in [0,1]": ("按需求加权的满足比例", "need-weighted share served"),
    "count": ("个", "count"),
    "projects completed this month": ("个项目/月（全区合计）", "projects/month, district total"),
    "yuan this month": ("元/月（全区合计）", "yuan/month, district total"),
    "yuan held unallocated at month end": ("元（月末未分配，全区合计）",
                                           "yuan held unallocated at month end, district total"),
    "yuan at month end": ("元（月末，全区合计）", "yuan at month end, district total"),
    "hours this month": ("小时/月（全区合计）", "hours/month, district total"),
    "mean quality in [0,1]": ("平均质量（0–1）", "mean quality (0–1)"),
    "ties per resident": ("条关系/人", "ties per adult"),
    "count of adults who moved in this month": ("人/月", "adults/month"),
    "count this month": ("件/月（全区合计）", "per month, district total"),
    "count at month end": ("件（月末，全区合计）", "at month end, district total"),
    "standard deviation in [0,0.5]": ("标准差（0–0.5）", "standard deviation (0–0.5)"),
    # groups' participation, the summary extras and the slope
    "share of the group": ("组内占比", "share of the group"),
    "difference of shares": ("流动人口占比之差（−1至1）", "difference of migrant shares (−1 to 1)"),
    "yuan per unit of satisfaction": ("元/单位满意度", "yuan per unit of satisfaction"),
    "yuan over the run": ("元（全程，全区合计）", "yuan over the run, district total"),
    "share of adults per year": ("成年人占比/年", "share of adults per year"),
    # sim.statistics
    "share of the group in [0,1]": ("组内占比", "share of the group"),
    "odds ratio": ("比值比", "odds ratio"),
    "organizations per 10,000 adults": ("个/万名成年人", "per 10,000 adults"),
    "projects per community per year": ("个项目/社区/年", "projects per community per year"),
    "ratio": ("比值", "ratio"),
    "public spirit in [0,1]": ("公共精神（0–1）", "public spirit (0–1)"),
    "share of party members in [0,1]": ("党员中占比", "share of party members"),
    # schema Param units of the labelled keys
    "share": ("比例（0–1）", "share (0–1)"),
    "probability": ("概率", "probability"),
    "yuan": ("元", "yuan"),
    "yuan/year": ("元/年", "yuan/year"),
    "share/year": ("比例/年", "share/year"),
    "switch": ("开关", "on/off"),
    "share of effort": ("精力占比", "share of effort"),
    "items": ("项", "items"),
    "scheme": ("方式", "scheme"),
    "points/activity": ("积分/次", "points/activity"),
    "yuan/100 points": ("元/100积分", "yuan/100 points"),
    "hours/activity": ("小时/次", "hours/activity"),
    "yuan-equivalent/hour": ("折合元/小时", "yuan-equivalent/hour"),
    "households": ("户", "households"),
    "workers/grid": ("人/网格", "workers/grid"),
    "visits/worker/month": ("户/人/月", "visits/worker/month"),
    "weight": ("权重", "weight"),
    "households/month": ("户/月", "households/month"),
    "organizations/10,000 residents/year": ("个/万人/年", "organizations/10,000 residents/year"),
    "list of changes": ("变更列表", "list of changes"),
    "adults": ("名成年人", "adults"),
    "logit": ("logit（对数几率）", "logit"),
    "logit/unit": ("logit/单位", "logit/unit"),
    "rate/month": ("比率/月", "rate/month"),
    "seed": ("随机种子", "seed"),
    "months": ("月", "months"),
}
"""Display units, keyed by the unit strings of ``metrics.UNITS``, ``statistics`` and the
schema's ``Param``, and by a few of our own."""

_METRIC_UNITS = {
    **{f"participation_{group}": "share of the group" for group in metrics.GROUPS},
    "representation_gap": "difference of shares",
    "yuan_per_satisfaction": "yuan per unit of satisfaction",
    "yuan_paid_total": "yuan over the run",
    "participation_any_slope_last60": "share of adults per year",
}


def _metric_words(name: str) -> Words:
    """A monthly metric's (zh, en)."""
    if name.startswith("participation_"):
        part = name.removeprefix("participation_")
        zh, en = ACTIVITIES.get(part) or GROUPS[part]
        if part == "any":
            return "参与率", "participation"
        return f"{zh}参与率", f"participation {'in' if part in ACTIVITIES else 'of'} {en}"
    return METRIC_WORDS[name]


def _summary_words(name: str) -> Words | None:
    """A run summary's (zh, en), or None if ``name`` is none."""
    if name in SUMMARY_WORDS:
        return SUMMARY_WORDS[name]
    for suffix, (zh_spread, en_spread) in _SPREAD.items():
        base = name.removesuffix(f"_{suffix}")
        if base != name and base in metrics.COMMUNITY_SPREAD:
            zh, en = _summary_words(base)
            return f"{zh}：{zh_spread}", f"{en}, {en_spread}"
    for suffix in ("_final", "_last12"):
        base = name.removesuffix(suffix)
        if base != name and base in metrics.METRICS:
            zh, en = _metric_words(base)
            when = _LAST if suffix == "_last12" else (
                _FINAL_OPEN if base in metrics.OPEN_IN else _FINAL)
            return f"{zh}（{when[0]}）", f"{en} ({when[1]})"
    return None


def _key_path_words(path: str) -> Words | None:
    """A scenario key's (zh, en) from the schema's Label, or None if it has none."""
    from sim import schema

    try:
        own = schema.metadata(path, schema.Label)
    except (KeyError, TypeError, AttributeError):
        return None
    if own is None:
        return None
    parent, _, leaf = path.rpartition(".")
    if parent and schema.metadata(parent, schema.Label) is own:  # declared on the container
        zh, en = _LEAVES[leaf]
        return f"{own.zh}：{zh}", f"{own.en}: {en}"
    return own.zh, own.en


@cache
def _statistic_words() -> dict[str, Words]:
    from sim import statistics

    return {name: (s.label.zh, s.label.en) for name, s in statistics.STATISTICS.items()}


@cache
def _pattern_words() -> dict[str, Words]:
    from sim import patterns  # imports pandas: only for names found nowhere else

    return {p.id: (p.zh, p.en) for p in patterns.CATALOGUE}


def _words(name: str) -> Words:
    """(zh, en) of ``name``; KeyError naming it if it has no label."""
    if name in metrics.METRICS:
        return _metric_words(name)
    found = _summary_words(name)
    if found is None:
        found = _key_path_words(name)
    for table in (ACTIVITIES, GROUPS, CATEGORIES):
        if found is None and name in table:
            found = table[name]
    if found is None and name in _statistic_words():
        found = _statistic_words()[name]
    if found is None and name in _pattern_words():
        found = _pattern_words()[name]
    if found is None:
        raise KeyError(f"no label for {name!r}: not a metric, summary, labelled scenario key, "
                       "statistic, pattern, activity, group or category")
    return found


def in_lang(lang: str | None, zh: str, en: str, sep: str = " ") -> str:
    """``zh`` or ``en`` as ``lang`` (one of :data:`LANGS`; None: English) asks; ``both``:
    ``zh``, ``sep``, ``en`` (one of them when they are the same). The one place the three
    languages are told apart: labels, figure words, report words and printed tables use it.
    Raises ValueError for another ``lang``."""
    lang = lang or "en"
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return zh if zh == en else f"{zh}{sep}{en}"


def _pick(words: Words, lang: str) -> str:
    return in_lang(lang, *words)


def label(name: str, lang: str = "both") -> str:
    """The person-facing name of ``name`` in ``lang`` (one of :data:`LANGS`; ``both`` gives
    "中文 English"). ``name``: a metric, a summary metric, a scenario key path, a statistic, a
    pattern id, an activity, a group or a project category.

    Raises KeyError naming ``name`` if it has no label, ValueError for an unknown ``lang``."""
    return _pick(_words(name), lang)


def _unit_key(name: str) -> str:
    """The unit string of ``name`` (a key of :data:`UNIT_WORDS`), "" if it has no unit."""
    base = name
    for suffix in metrics.SPREAD:  # the spread is in its summary's unit
        if name.removesuffix(f"_{suffix}") in metrics.COMMUNITY_SPREAD:
            base = name = name.removesuffix(f"_{suffix}")
    for suffix in ("_final", "_last12"):
        if name.endswith(suffix) and name.removesuffix(suffix) in metrics.METRICS:
            base = name.removesuffix(suffix)
    if base in _METRIC_UNITS:
        return _METRIC_UNITS[base]
    if base in metrics.UNITS:
        return metrics.UNITS[base]
    _words(name)  # KeyError for a name with no label
    if _key_path_words(name) is not None:
        from sim import schema

        param = schema.metadata(name, schema.Param)
        return param.unit if param is not None else ""
    if name in _statistic_words():
        from sim import statistics

        return statistics.STATISTICS[name].unit
    return ""  # an activity, group, category or pattern: a word, not a quantity


def unit(name: str, lang: str = "both") -> str:
    """The unit of ``name`` in ``lang`` ("成年人占比" / "share of adults", "元/月（全区合计）" /
    "yuan/month, district total"); "" for a name that is not a quantity (an activity, group,
    category or pattern) or a key without a unit.

    Raises KeyError naming ``name`` if it has no label, or naming the unit if it has no
    Chinese; ValueError for an unknown ``lang``."""
    key = _unit_key(name)
    if not key:
        _pick(("", ""), lang)
        return ""
    if key not in UNIT_WORDS:
        raise KeyError(f"no Chinese for the unit {key!r} of {name!r}")
    return _pick(UNIT_WORDS[key], lang)


def names() -> list[str]:
    """Every name with a label: metrics, summaries, labelled scenario keys, statistics,
    patterns, activities, groups and categories (for tests and documentation)."""
    from sim import schema

    keys = [path for path in schema.key_paths() if _key_path_words(path) is not None]
    return [*metrics.METRICS, *metrics.summary_names(), "participation_any_slope_last60",
            *keys, *_statistic_words(), *_pattern_words(), *ACTIVITIES, *GROUPS, *CATEGORIES]
