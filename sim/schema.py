"""The scenario schema: every parameter declared once (docs/ODD.md §5–6, INTERFACE.md "Files").

The first of the three parts of configuration (sim/loading.py reads files into plain data with
a line map; sim/errors.py holds the one error family and its :class:`~sim.errors.Problem`
records). Here are the typed, validated, frozen pydantic models, and beside each field, as
typed ``Annotated`` metadata, what the rest of the code needs to know about it:

- :class:`Param` — its unit and its source: citation keys of :data:`SOURCES` (listed with the
  full reference in docs/ODD.md §6.3), or the words ``assumption`` or ``calibrated``;
- :class:`Label` — its Chinese and English name (every ``policy.*`` key: the levers, and any key
  the demo shows);
- :class:`Control` — how the demo shows a lever (group, widget, range, step, display scale and
  unit, choice labels); sim/levers.py builds the demo's lever panel from it;
- :class:`ActiveWhen` — the switch a key depends on (read by ``sim.scenario.inert_settings``).

Metadata on a field whose value is a container (a Beta distribution, one number per age group
or category) applies to every number in it. The field ``description`` stays prose (what the
number means, equations, figures quoted from the sources). docs/ODD.md §6.2–6.3 are generated
from all this (``python -m sim.odd_table``), and tests/test_schema.py fails when a parameter lacks
a unit or a source, or a lever a label.

Citation keys (``seed000``, ``ledyard1995``, …) are the entries of docs/SOURCES.md; "seed000" in
the descriptions is ``seed000``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.loading import (
    dotted,
    flatten,
    get_path,
    load_yaml_tree,
    merge,
    overridden,
    problem_at,
    set_path,
    yaml_word,
)

CATEGORIES = ("elder_care", "childcare", "environment", "safety", "culture", "facilities")
"""The K = 6 project categories of ODD §2.2 (needs simplex)."""

ACTIVITIES = ("deliberate", "volunteer", "monitor")
"""议事, 志愿, 监督 (ODD §2.2, took_part[a])."""

AGE_GROUPS = ("youth", "adult", "elder")

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


# ------------------------------------------------------------------------------- metadata
SOURCE_WORDS: dict[str, str] = {
    "assumption": "a modelling choice with no data behind the number (often the reference "
                  "design's default)",
    "calibrated": "set so that the model meets the anchors of docs/ODD.md §9.2 (the "
                  "recalibration of `a93fd91`, §10 D31–D34; by ABC-SMC against "
                  "calibration/anchors.yaml since issue 10, §9.8)",
}
"""Sources that are not citations, and what they mean."""

SOURCES: dict[str, str] = {
    "seed000": "胡燕 (Hu Yan) & 卢晓莉 (Lu Xiaoli) (2021). "
               "“以人民为中心”的基层社会治理实践——党建引领基层社会治理的“成都样本” [Grassroots "
               "social governance centred on the people: the “Chengdu sample” of party-led "
               "grassroots governance]. Chengdu Academy of Social Sciences (成都市社会科学院), "
               "www.cdsk.org.cn, published 15 March 2021. Authors from the byline at the end of "
               "the text, date and site from its header. Case file "
               "`seeds/000_ab6f097bc2cac09c.txt`: 还权/赋能/归位 defined; village fund ≥200,000 "
               "yuan a year from 2009, all communities from 2012, rising yearly; community tasks "
               "cut 537 → 69; 三社联动; community foundations; the 民主议定/监督/评议 project "
               "cycle",
    "seed001": "袁振龙 (Yuan Zhenlong) (n.d., 2024 or later). "
               "推动社会治理重心向基层下移的社会实践 [Moving the focus of social governance down "
               "to the grassroots in practice]. Published on the 七一客户端 / 七一网 platform of "
               "当代党员杂志社 (Contemporary Party Member magazine), whose copyright notice ends "
               "the text. Author (director of the Institute of Comprehensive Governance, Beijing "
               "Academy of Social Sciences) from the closing note; the text gives no date or "
               "issue: it cites a document of 22 July 2024 and is an interim output of the "
               "academy's project KY2024G0154, hence 2024 or later. Case file "
               "`seeds/001_af6a467796f1c1c1.txt`: party-building coordination committees; 双报到; "
               "time-bank points; duty lists of street offices and residents' committees; "
               "deliberation councils and supervision committees; workers' pay and training",
    "seed002": "Author not named (n.d., 2011 or later). "
               "基层社会治理的还权与赋能和归位——以成都市城乡社区治理创新实践为例 [Returning "
               "power, empowerment and back to proper roles in grassroots social governance: "
               "Chengdu's innovations in urban and rural community governance]; English title in "
               "the text: “Local Governance: Restitution to authority, Empowerment, Back to "
               "standard — Innovative Practice in Urban and Rural Community Governance Case "
               "Study”. A journal article (abstract and keywords in Chinese and English) copied "
               "by a web site that names neither author nor journal; the latest event it reports "
               "is the reform launched at the end of 2010. Case file "
               "`seeds/002_2f713a116097645e.txt`: residents' committees as “the government's "
               "feet”; street offices 越位 and 缺位; Jinjiang 2008; 50 service items moved to "
               "service stations; 新瓶装老酒 when government does not reform first; “no personal "
               "stake, no interest in taking part”",
    "seed003": "Author not named (n.d., 2013 or later). "
               "基层社会治理创新有效实现的外部条件——以厦门海沧区共同缔造为研究对象 [External "
               "conditions for effective innovation in grassroots social governance: Xiamen "
               "Haicang's co-creation (共同缔造)]. A thesis (chapters, references omitted) copied "
               "by www.wllwen.com (article 37890), which names neither author nor university; the "
               "latest year it reports is 2013. Case file `seeds/003_59ff58cbf0ad246f.txt`: "
               "migrants 16.47 of 29.49 万 residents (2011); 19 communities, 205 social "
               "organizations; grids of 300–400 households with 1–2 grid workers, ≥60 household "
               "visits a month over 10 days; 58 + 27 duties moved down; 义工卡 volunteer cards; "
               "给与式治理 breeds 靠等要 dependency",
    "seed004": "人民论坛专题调研组 (People's Tribune research group), with 张玉杰 (Zhang Yujie), "
               "林梅 (Lin Mei), 程萍 (Cheng Ping), 贾华强 (Jia Huaqiang) (Party School of the CPC "
               "Central Committee) and 王时浩 (Wang Shihao, formerly Ministry of Civil Affairs) "
               "(n.d., after October 2019). Panel on 成都市成华区推进基层治理现代化的探索实践 "
               "[How Chengdu's Chenghua district modernises grassroots governance]. 人民论坛 "
               "(People's Tribune). Participants, magazine and editors (程静静, 王嘉骐) from the "
               "text, which gives no title or date; the latest event it reports is the Chenghua "
               "community development foundation of October 2019. Case file "
               "`seeds/004_93b2559bc1c680c0.txt`: four-level party grid down to party-member "
               "contact households; points (five kinds, 100 points = 1 yuan); community "
               "development foundation (2019) and micro-funds; 一事一议 deliberation; disclosure "
               "of whether suggestions were adopted; its wording "
               "(以基层治理现代化助推中国式现代化) suggests 2022 or later",
    "standards": "Provincial community-building standards, as cited by cogov's reference design "
                 "(no province, title or year given; not identified): communities of 1,000–3,000 "
                 "households, at least 18 committee workers per 10,000 residents",
    "ssuns2017": "Shanghai Urban Neighbourhood Survey 2017: 27.5% of residents almost never talk "
                 "with their neighbours; about 70% do not know their committee director (figures "
                 "as cited by cogov's reference design; the survey report was not identified)",
    "bluebook2023": "Blue book of China's social organizations (2023): 6.3 social organizations "
                    "per 10,000 residents nationally in 2022 (as cited by cogov's reference "
                    "design; editors and publisher not identified)",
    "party2023": "Statistical bulletin of the Communist Party of China (2023): members about 7% "
                 "of the population, 28% aged 61 or older (中国共产党党内统计公报, issued by the "
                 "Organization Department of the CPC Central Committee)",
    "ledyard1995": "Ledyard, J. O. (1995). Public goods: a survey of experimental research. "
                   "In Kagel & Roth (eds.), Handbook of Experimental Economics",
    "fischbacher2010": "Fischbacher, U. & Gächter, S. (2010). Social preferences, beliefs, and "
                       "the dynamics of free riding in public goods experiments. American "
                       "Economic Review 100(1)",
    "frey1997": "Frey, B. S. & Oberholzer-Gee, F. (1997). The cost of price incentives: an "
                "empirical analysis of motivation crowding-out. American Economic Review 87(4)",
    "gneezy2000": "Gneezy, U. & Rustichini, A. (2000). Pay enough or don't pay at all. "
                  "Quarterly Journal of Economics 115(3)",
    "kasarda1974": "Kasarda, J. D. & Janowitz, M. (1974). Community attachment in mass society. "
                   "American Sociological Review 39(3): length of residence, not size or "
                   "density, is the key predictor of local ties and community attachment",
    "sampson1988": "Sampson, R. J. (1988). Local friendship ties and community attachment in "
                   "mass society: a multilevel systemic model. American Sociological Review "
                   "53(5): residential stability raises local friendship ties and attachment",
    "uslaner2002": "Uslaner, E. M. (2002). The Moral Foundations of Trust. Cambridge University "
                   "Press (generalized trust is a stable disposition, learned early, that "
                   "experience moves only in part)",
    "kampen2006": "Kampen, J. K., Van de Walle, S. & Bouckaert, G. (2006). Assessing the "
                  "relation between satisfaction with public service delivery and trust in "
                  "government: the impact of the predisposition of citizens toward government "
                  "on evaluations of its performance. Public Performance & Management Review "
                  "29(4) (experience with services moves trust, bad experiences more than good)",
    "mca2023": "Ministry of Civil Affairs (2024). 2023年民政事业发展统计公报 (statistical "
               "bulletin on civil affairs 2023): about 6.6 million urban minimum-living-"
               "guarantee (城市低保) recipients, under 1% of the urban population",
    "haicang2021": "厦门市海沧区统计局 (Haicang District Statistics Bureau) & 海沧区第七次全国人口"
                   "普查领导小组办公室 (2021). 海沧区第七次全国人口普查公报 [Bulletin of the "
                   "seventh national census, Haicang district], 21 May 2021: 582,519 resident "
                   "people on 1 November 2020 (288,739 in the 2010 census), 105,624 of them aged "
                   "0–14; 2.29 people a family household. Read in the copy at "
                   "www.qinglite.cn/doc/6683670e0f997ae23; the bureau's own page was not "
                   "consulted",
    "friedman1999": "Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional "
                    "data. Statistics and Computing 9(2), 123–143: PRIM, its peeling criterion "
                    "(§8.1) and covering (§5)",
    "bryant2010": "Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a "
                  "participatory, computer-assisted approach to scenario discovery. "
                  "Technological Forecasting and Social Change 77(1), 34–49: scenario "
                  "discovery, coverage and density, quasi-p values of box limits (§3.3)",
    "mckay1979": "McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of three "
                 "methods for selecting values of input variables in the analysis of output from "
                 "a computer code. Technometrics 21(2), 239–245: the Latin hypercube design",
    "breiman1984": "Breiman, L., Friedman, J. H., Olshen, R. A. & Stone, C. J. (1984). "
                   "Classification and Regression Trees. Wadsworth: CART",
    "mellstrom2008": "Mellström, C. & Johannesson, M. (2008). Crowding out in blood donation: "
                     "was Titmuss right? Journal of the European Economic Association 6(4)",
    "lacetera2012": "Lacetera, N., Macis, M. & Slonim, R. (2012). Will there be blood? "
                    "Incentives and displacement effects in pro-social behavior. American "
                    "Economic Journal: Economic Policy 4(1); and (2013) Economic rewards to "
                    "motivate blood donations, Science 340(6135)",
    "ashraf2014": "Ashraf, N., Bandiera, O. & Jack, B. K. (2014). No margin, no mission? A "
                  "field experiment on incentives for public service delivery. Journal of "
                  "Public Economics 120",
    "gallus2017": "Gallus, J. (2017). Fostering public good contributions with symbolic "
                  "awards: a large-scale natural field experiment at Wikipedia. Management "
                  "Science 63(12)",
    "seyfang2003": "Seyfang, G. (2003). Growing cohesive communities one favour at a time: "
                   "social exclusion, active citizenship and time banks. International "
                   "Journal of Urban and Regional Research 27(3); and (2004) Time banks: "
                   "rewarding community self-help in the inner city? Community Development "
                   "Journal 39(1)",
    "collom2008": "Collom, E. (2008). Engagement of the elderly in time banking: the potential "
                  "for social capital generation in an aging society. Journal of Aging & "
                  "Social Policy 20(4)",
    "argote1990": "Argote, L. & Epple, D. (1990). Learning curves in manufacturing. Science "
                  "247(4945): unit cost falls to 70–90% with each doubling of cumulative "
                  "output (progress ratio), and acquired knowledge depreciates when not used",
    "salamon1987": "Salamon, L. M. (1987). Of market failure, voluntary failure, and "
                   "third-party government. Journal of Voluntary Action Research 16(1–2): "
                   "government finances, nonprofits deliver; voluntary failure (amateurism, "
                   "insufficiency, particularism) where organizations are weak",
    "mof2020": "Ministry of Finance (2020). 政府购买服务管理办法 (Order No. 102), art. 8: a "
               "contractor must have the facilities, staff and professional skills the service "
               "needs (具备提供服务所必需的设施、人员和专业技术能力)",
    "jing2015": "Jing, Y. (2015). Between control and empowerment: governmental strategies "
                "towards the development of the non-profit sector in China. Asian Studies "
                "Review 39(4); Jing, Y. & Chen, B. (2012). Is competitive contracting really "
                "competitive? Exploring government-nonprofit collaboration in China. "
                "International Public Management Journal 15(4)",
    "cabannes2014": "Cabannes, Y. & Zhuang, M. (2014). Participatory budgeting at scale and "
                    "bridging the rural–urban divide in Chengdu. Environment and Urbanization "
                    "26(1): 257–275: more than 40,000 projects in more than 2,300 villages and "
                    "communities of Chengdu, 2009–12",
    "participedia": "Participedia (participedia.net), its case entry on participatory budgeting "
                    "in Chengdu: the fund was about USD 54–63k per village or community a year "
                    "by 2018 (cited by cogov's reference design by the site's name only; the "
                    "entry's title and date were not identified)",
    "shanghai_election": "A Shanghai social survey of residents' committee elections (N = "
                         "6,581): turnout 47.9%; ages 18–29 13.8%, 70–79 77.7%; party members "
                         "65.1%, others 48.4% (cited by cogov's reference design by subject and "
                         "sample size only; authors, title and year not identified)",
    "volunteer_reports": "Press reports of city statistics on registered volunteers: 23.0% of "
                         "residents in Shanghai (2021), 19.7% in Chongqing (2020); active "
                         "volunteers far fewer (cited by cogov's reference design without naming "
                         "the reports; not identified)",
    "porto_alegre": "Participatory budgeting in Porto Alegre, 1999–2000: 1.2–1.5% of residents "
                    "took part a year (cited by cogov's reference design to Baiocchi and to "
                    "Avritzer & Wampler, with no titles or years; the works were not identified)",
    "grimm2006": "Grimm, V., Berger, U., Bastiansen, F. et al. (2006). A standard protocol for "
                 "describing individual-based and agent-based models. Ecological Modelling "
                 "198(1–2): 115–126",
    "grimm2020": "Grimm, V., Railsback, S. F., Vincenot, C. E. et al. (2020). The ODD protocol "
                 "for describing agent-based and other simulation models: a second update to "
                 "improve clarity, replication, and structural realism. Journal of Artificial "
                 "Societies and Social Simulation 23(2): 7",
    "toni2009": "Toni, T., Welch, D., Strelkowa, N., Ipsen, A. & Stumpf, M. P. H. (2009). "
                "Approximate Bayesian computation scheme for parameter inference and model "
                "selection in dynamical systems. Journal of the Royal Society Interface 6(31): "
                "187–202",
    "klinger2018": "Klinger, E., Rickert, D. & Hasenauer, J. (2018). pyABC: distributed, "
                   "likelihood-free inference. Bioinformatics 34(20): 3591–3593",
    "prangle2017": "Prangle, D. (2017). Adapting the ABC distance function. Bayesian Analysis "
                   "12(1): 289–309",
}
"""Citation key → reference: the keys :attr:`Param.sources` may give and every citation of the
scenarios, calibration files and docs. docs/SOURCES.md (an entry and anchor per key) and the
table of docs/ODD.md §6.3 are generated from it (``python -m sim.odd_table``)."""

LEVER_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("huanquan", "还权", "Returning power"),
    ("funeng", "赋能", "Empowerment"),
    ("guiwei", "归位", "Back to proper roles"),
    ("outreach", "激励与动员", "Incentives and outreach"),
)
"""The demo's lever groups, in panel order: (key, Chinese title, English title)."""


@dataclass(frozen=True)
class Param:
    """Field metadata: the parameter's unit and where its value comes from (citation keys of
    :data:`SOURCES`, or ``assumption`` / ``calibrated``)."""

    unit: str
    sources: tuple[str, ...]

    def __init__(self, unit: str, *sources: str):
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "sources", sources)

    @property
    def source(self) -> str:
        """The sources in words, e.g. ``seed003, bluebook2023``."""
        return ", ".join(self.sources)


@dataclass(frozen=True)
class Label:
    """Field metadata: the key's name in Chinese and in English (a lever's, or any key the demo
    shows)."""

    zh: str
    en: str


@dataclass(frozen=True)
class Control:
    """Field metadata: the lever is shown in the demo's lever panel, in ``group`` (a key of
    :data:`LEVER_GROUPS`). ``kind`` is the widget (``float``/``int`` slider, ``bool`` switch,
    ``choice`` menu; by default from the field's type); the slider runs from ``low`` to
    ``high`` in steps of ``step`` and shows ``value / scale`` in ``unit``; ``choices`` gives the
    Chinese label of each allowed value of a menu."""

    group: str
    kind: str | None = None
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    scale: float = 1.0
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ActiveWhen:
    """Field metadata: when the key can act on the model; under any other setting every value
    of it is inert. Declared once, beside the field it qualifies
    (``Annotated[float, ActiveWhen(...)]``); read by :func:`sim.scenario.dependencies`,
    :func:`sim.scenario.inert_settings` and the experiment checks.

    - ``ActiveWhen(switch, *values)``: while the scenario key ``switch`` is one of ``values``;
    - ``ActiveWhen(switch, above=x)``: while the number ``switch`` is above ``x``;
    - ``ActiveWhen.any_of(a, b, ...)``: while any of the conditions holds (a key that several
      switches can each bring to life: devolution acts with a fund or with a foundation);
    - ``ActiveWhen.all_of(a, b, ...)``: only while all of them hold.
    """

    switch: str | None
    values: tuple[Any, ...] = ()
    above: float | None = None
    parts: tuple[ActiveWhen, ...] = ()
    every: bool = False  # a composite: all of ``parts`` (True) or any of them (False)

    def __init__(self, switch: str | None, *values: Any, above: float | None = None,
                 parts: tuple[ActiveWhen, ...] = (), every: bool = False):
        if (switch is None) == (not parts):
            raise TypeError("ActiveWhen needs a switch, or parts (use any_of / all_of)")
        object.__setattr__(self, "switch", switch)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "above", above)
        object.__setattr__(self, "parts", tuple(parts))
        object.__setattr__(self, "every", every)

    @classmethod
    def any_of(cls, *parts: ActiveWhen) -> ActiveWhen:
        """The key acts while any of ``parts`` holds."""
        return cls(None, parts=parts)

    @classmethod
    def all_of(cls, *parts: ActiveWhen) -> ActiveWhen:
        """The key acts only while every one of ``parts`` holds."""
        return cls(None, parts=parts, every=True)

    def leaves(self) -> tuple[ActiveWhen, ...]:
        """The single-switch conditions, in declaration order."""
        if not self.parts:
            return (self,)
        return tuple(leaf for part in self.parts for leaf in part.leaves())

    @property
    def switches(self) -> tuple[str, ...]:
        """The switch keys the condition reads, each once, in declaration order."""
        return tuple(dict.fromkeys(leaf.switch for leaf in self.leaves()))

    def on(self, value: Any) -> bool:
        """Whether the switch's ``value`` lets the key act (a single-switch condition)."""
        if self.parts:
            raise TypeError("a composite condition reads several switches: use holds()")
        if self.above is not None:
            return value > self.above
        return value in self.values

    def holds(self, leaf_on: Any) -> bool:
        """Whether the condition holds, given ``leaf_on``: a mapping switch → value, or a
        function telling for each single-switch condition whether it is on."""
        if not self.parts:
            return leaf_on(self) if callable(leaf_on) else self.on(leaf_on[self.switch])
        found = (part.holds(leaf_on) for part in self.parts)
        return all(found) if self.every else any(found)

    def condition(self) -> str:
        """The condition in words, e.g. ``policy.incentive.scheme is points`` or
        ``policy.fund_per_community > 0 or policy.foundation is true``."""
        if self.parts:
            words = [f"({p.condition()})" if p.parts else p.condition() for p in self.parts]
            return (" and " if self.every else " or ").join(words)
        if self.above is not None:
            return f"{self.switch} > {self.above:g}"
        shown = [yaml_word(v) for v in self.values]
        return f"{self.switch} is {' or '.join(shown)}"

    def example(self) -> str:
        """A setting that makes the key act, as it is written in a file: ``policy.foundation:
        true``, ``policy.training_rate above 0``."""
        if self.parts:
            chosen = self.parts if self.every else self.parts[:1]
            return " and ".join(part.example() for part in chosen)
        if self.values:
            return f"{self.switch}: {yaml_word(self.values[0])}"
        return f"{self.switch} above {self.above:g}"


@dataclass(frozen=True)
class PerCommunity:
    """Field metadata: the key may take its own value in each community of an uneven district
    (``structure.communities``, a table with one row per community and a column per such key).
    On a container (the age shares) it holds for every number in it. :data:`COMMUNITY_KEYS`
    lists the keys, read from this marker; policy keys among them may also be the target of a
    scheduled change for one community or street office. ``why`` says what makes communities
    differ in the key (docs/ODD.md §2.1 "Uneven districts")."""

    why: str


FUNDED = ActiveWhen.any_of(ActiveWhen("policy.fund_per_community", above=0),
                           ActiveWhen("policy.foundation", True))
"""Projects can be funded: a cycle's budget is the fund, the foundation's grant and what was
carried over (sim/fund_cycle.py), so without a fund and a foundation it is 0 in every cycle, no
project is chosen, contracted, paid or delivered, and deliberation has no stake (log(1 + 0))."""

OVERRIDDEN = ActiveWhen.all_of(ActiveWhen("policy.devolution", above=0), FUNDED)
"""The street office can override council choices: there is a council (devolution) and money
for it to choose with (``behavior.effective_devolution``, ``fund.allocate``)."""

CONTRACTED = ActiveWhen.all_of(ActiveWhen("policy.purchase_share", above=0), FUNDED)
"""Social organizations get contracts: their capacity and reputation matter only to a project
they implement (``fund_cycle.Actors.contractor``)."""


class _Config(BaseModel):
    """Base: unknown keys are errors, non-finite numbers (.inf, .nan) are refused, instances are
    immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_switch_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        return refuse_bool_for_number(value, cls.model_fields[info.field_name].annotation)


def refuse_bool_for_number(value: Any, annotation: Any) -> Any:
    """``value``, unless it is true/false given for a number (``months: true`` would otherwise
    run 1 month: pydantic reads a bool as 0 or 1). Strings such as ``"537"`` still convert."""
    if isinstance(value, bool) and annotation in (int, float):
        raise ValueError(f"must be a number, not {yaml_word(value)}")
    return value


# ----------------------------------------------------------------------------------- structure
class CommunityRow(_Config):
    """One community of an uneven district (a row of ``structure.communities``): its name, its
    street office, its adults and the settings in which it differs from the scenario.
    ``settings`` maps key paths of :data:`COMMUNITY_KEYS` to numbers (a share in [0, 1], yuan a
    year for the fund); a key it leaves out takes the scenario's value. Files are read and
    checked with located messages by sim/district.py; this model is what a loaded scenario
    holds, and what a manifest writes back."""

    name: str = Field(min_length=1, description="the community's name (社区), unique")
    street_office: str = Field(min_length=1, description="the name of its street office (街道)")
    residents: int = Field(ge=20, le=200_000, description="adult residents")
    settings: dict[str, float] = Field(default_factory=dict,
                                       description="key path → the community's own value")

    @field_validator("street_office", mode="before")
    @classmethod
    def _number_is_a_name(cls, value: Any) -> Any:
        return name_text(value)

    @field_validator("settings")
    @classmethod
    def _community_keys_only(cls, settings: dict[str, float]) -> dict[str, float]:
        for key, value in settings.items():
            if key not in COMMUNITY_KEYS:
                raise ValueError(f"'{key}' cannot differ per community; these can: "
                                 f"{', '.join(COMMUNITY_KEYS)}")
            low, high = key_bounds(key)
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{key} must be {range_words(low, high)}, got {value:g}")
        return settings


def name_text(value: Any) -> Any:
    """A street office or community name as text: a number written in a file (1, 2.0) becomes
    its digits ("1", "2"), text is stripped; anything else is returned for the model to
    refuse."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def range_words(low: float | None, high: float | None) -> str:
    """``between 0 and 1``, ``at least 0``, ``at most 5``."""
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


class Structure(_Config):
    """District → street offices → communities → grids → buildings (ODD §2.1)."""

    street_offices: Annotated[int, Param("count", "assumption")] = Field(
        1, ge=1, le=1000, description="street offices (街道) in the district"
    )
    communities_per_street: Annotated[int, Param("count", "assumption")] = Field(
        1, ge=1, le=1000, description="communities (社区) per street office"
    )
    residents_per_community: Annotated[
        int, Param("adults", "standards"), Label("每社区居民数", "residents per community"),
    ] = Field(
        2000, ge=20, le=200_000,
        description="adult residents per community; communities have 1,000–3,000 households "
        "(provincial standards)",
    )
    adults_per_household: Annotated[float, Param("adults/household", "assumption")] = Field(
        2.0, ge=1.0, le=6.0, description="adults per household; households = residents / this"
    )
    households_per_building: Annotated[int, Param("households", "assumption")] = Field(
        40, ge=1, le=1000, description="households per building/yard (院落)"
    )
    building_tie_prob: Annotated[
        Share, Param("probability", "ssuns2017"), Label("楼内相识概率", "building tie probability"),
    ] = Field(
        0.0178, description="p_building: chance two adults of one building know each other "
        "once both have lived there a while; with residential mobility about a tenth of these "
        "ties are not yet made at any time (§7.9), so (1 − 0.9·p)^79 ≈ 28% of adults have no "
        "tie in their building (27.5% almost never talk with neighbours, Shanghai Urban "
        "Neighbourhood Survey 2017, ssuns2017); ODD §2.3",
    )
    small_world_degree: Annotated[int, Param("ties", "assumption")] = Field(
        4, ge=0, le=50, description="k: mean degree of the Watts–Strogatz layer (even); ODD §2.3"
    )
    small_world_rewiring: Annotated[Share, Param("probability", "assumption")] = Field(
        0.1, description="beta: Watts–Strogatz rewiring probability; the ring runs over the "
        "community's adults in random order (acquaintances beyond the building); ODD §2.3"
    )
    community_workers_per_10k: Annotated[
        float, Param("workers/10,000 residents", "standards"),
    ] = Field(
        18.0, ge=0.0, le=500.0,
        description="residents' committee workers per 10,000 residents (provincial standard ≥18)",
    )
    hours_per_worker: Annotated[float, Param("hours/month", "assumption")] = Field(
        160.0, ge=0.0, le=400.0, description="working hours per committee worker per month"
    )
    street_staff_hours_per_community: Annotated[float, Param("hours/month", "assumption")] = Field(
        240.0, ge=0.0, description="street-office service staff hours per community per month "
        "(staff_hours, ODD §7.7)",
    )
    social_orgs_per_10k: Annotated[
        float, Param("organizations/10,000 residents", "bluebook2023", "seed003"),
    ] = Field(
        6.3, ge=0.0, le=100.0,
        description="professional social organizations per 10,000 residents at start "
        "(6.3 nationally 2022, Blue book 2023; Haicang ≈7, seed003)",
    )

    communities: Annotated[
        tuple[CommunityRow, ...] | None, Param("one row per community", "assumption"),
    ] = Field(
        None, description="an uneven district: a table (CSV, or a YAML list) with one row per "
        "community — name, street_office, residents (adults) and a column per key of "
        "COMMUNITY_KEYS — in place of street_offices × communities_per_street × "
        "residents_per_community; in a file, a path relative to it; ODD §2.1",
    )

    @field_validator("small_world_degree")
    @classmethod
    def _even_degree(cls, k: int) -> int:
        if k % 2:
            raise ValueError(f"must be even (k/2 neighbours on each side), got {k}")
        return k

    @model_validator(mode="after")
    def _table_or_grid(self) -> Structure:
        if self.communities is None:
            return self
        found = [((key,), f"cannot be set with structure.communities: the table gives each "
                          f"community's {what}")
                 for key, what in TABLE_GIVES.items()
                 if getattr(self, key) != type(self).model_fields[key].default]
        if not self.communities:
            found.append((("communities",), "has no communities: give one row per community"))
        seen: dict[str, int] = {}
        for i, row in enumerate(self.communities):
            if row.name in seen:
                found.append((("communities", i, "name"),
                              f"'{row.name}' is already the name of row {seen[row.name] + 1}"))
            seen.setdefault(row.name, i)
        if found:
            raise NestedProblems(found)
        return self

    def community_names(self) -> tuple[tuple[str, ...], tuple[str, ...], list[int]]:
        """(community names (C), street office names (S), street index of each community):
        the table's, street offices numbered in order of first appearance; for a uniform
        structure street offices "1".."S" and communities "<street>-<k>" (1-based)."""
        if self.communities is None:
            per = self.communities_per_street
            streets = tuple(str(s + 1) for s in range(self.street_offices))
            names = tuple(f"{street}-{k + 1}" for street in streets for k in range(per))
            return names, streets, [c // per for c in range(len(names))]
        index: dict[str, int] = {}
        of = [index.setdefault(row.street_office, len(index)) for row in self.communities]
        return tuple(row.name for row in self.communities), tuple(index), of


TABLE_GIVES = {
    "street_offices": "street office (column street_office)",
    "communities_per_street": "street office (column street_office)",
    "residents_per_community": "adults (column residents)",
}
"""Structure keys a table of communities replaces, and the column that does."""


# ---------------------------------------------------------------------------------- population
class Beta(_Config):
    """A Beta(a, b) distribution for an attitude in [0, 1]."""

    a: float = Field(gt=0.0, le=1000.0, description="first shape parameter")
    b: float = Field(gt=0.0, le=1000.0, description="second shape parameter")


class ByAge(_Config):
    """One number per age group (youth 18–34, adult 35–59, elder 60+)."""

    youth: float = Field(ge=0.0)
    adult: float = Field(ge=0.0)
    elder: float = Field(ge=0.0)

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.youth, self.adult, self.elder)


class ShareByAge(ByAge):
    youth: Share
    adult: Share
    elder: Share


class ByCategory(_Config):
    """One number per project category (ODD §2.2, K = 6)."""

    elder_care: float = Field(gt=0.0)
    childcare: float = Field(gt=0.0)
    environment: float = Field(gt=0.0)
    safety: float = Field(gt=0.0)
    culture: float = Field(gt=0.0)
    facilities: float = Field(gt=0.0)

    def as_tuple(self) -> tuple[float, ...]:
        return tuple(getattr(self, c) for c in CATEGORIES)


class Mobility(_Config):
    """Residential mobility (ODD §7.9): households move out and new ones move into the same
    dwellings; migrants move more (seed003: 社区里面外来人口比较多,流动性也大)."""

    local_rate: Annotated[Share, Param("probability/year", "assumption")] = Field(
        0.04, description="chance a year that a local (户籍) household moves out: an expected "
        "stay of about 25 years in the dwelling; most local households own their flat",
    )
    migrant_rate: Annotated[Share, Param("probability/year", "seed003", "assumption")] = Field(
        0.2, description="chance a year that a migrant (流动人口) household moves out: an "
        "expected stay of about 5 years, for households that mostly rent on one- or two-year "
        "leases; seed003 says only that migrants are many and mobile (流动性也大), so the "
        "ratio to local_rate (5) is an assumption to vary",
    )
    acquaintance_rate: Annotated[Share, Param("probability/month", "assumption")] = Field(
        0.1, description="monthly chance that each tie a newcomer would have had (drawn at "
        "move-in like the starting network: building neighbours with building_tie_prob, "
        "small_world_degree acquaintances in the community) becomes real: a newcomer knows "
        "half of them after about 7 months",
    )
    attachment_tenure_weight: Annotated[Share, Param("weight", "kasarda1974", "sampson1988")] = (
        Field(0.2, description="weight of length of residence in the attachment target "
              "(length of residence is the main predictor of community attachment, Kasarda & "
              "Janowitz 1974; residential stability raises attachment, Sampson 1988)")
    )
    tenure_ref_years: Annotated[float, Param("years", "assumption")] = Field(
        10.0, gt=0.0, le=100.0, description="years of residence at which the tenure term of "
        "attachment saturates (min(1, tenure / this))",
    )


class NeedsPrior(_Config):
    """Dirichlet concentration of needs by age group (ODD §2.2)."""

    youth: ByCategory = ByCategory(
        elder_care=0.5, childcare=1.5, environment=1.5, safety=1.2, culture=1.5, facilities=0.8
    )
    adult: ByCategory = ByCategory(
        elder_care=1.5, childcare=2.0, environment=1.2, safety=1.2, culture=0.6, facilities=0.8
    )
    elder: ByCategory = ByCategory(
        elder_care=3.0, childcare=0.8, environment=1.0, safety=1.5, culture=1.2, facilities=0.8
    )


class Population(_Config):
    """Who lives there and their starting attitudes (ODD §2.2)."""

    migrant_share: Annotated[
        Share, Param("share", "seed003"), Label("流动人口比例", "migrant share"),
        PerCommunity("resettled villages and rented estates house most migrants (seed003)"),
    ] = Field(
        0.3, description="share of adults who are migrants (流动人口); Haicang 16.47 of 29.49 "
        "(10k) = 0.56, seed003",
    )
    party_share: Annotated[
        Share, Param("share", "party2023", "seed004"), Label("党员比例", "party share"),
        PerCommunity("old work-unit (单位) communities hold more retired members than new "
                     "estates"),
    ] = Field(
        0.08, description="share of adults who are party members (~7% of population, party "
        "statistics bulletin 2023; Chenghua, seed004)",
    )
    party_elder_fraction: Annotated[Share, Param("share", "party2023")] = Field(
        0.28, description="share of party members aged ≥60 (28% aged ≥61, bulletin 2023)"
    )
    age_shares: Annotated[
        ShareByAge, Param("share", "assumption"),
        PerCommunity("old inner-city communities are older, new estates younger"),
    ] = Field(
        ShareByAge(youth=0.3, adult=0.45, elder=0.25), description="adults by age group"
    )
    employed: Annotated[ShareByAge, Param("share", "assumption")] = Field(
        ShareByAge(youth=0.8, adult=0.8, elder=0.1), description="share employed by age group"
    )
    care_duty: Annotated[ShareByAge, Param("share", "assumption")] = Field(
        ShareByAge(youth=0.1, adult=0.3, elder=0.3),
        description="share with care duties (children, grandchildren, frail kin) by age group",
    )
    public_spirit: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=2, b=3), description="P (公共精神) of non-party adults")
    public_spirit_party: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=4, b=2), description="P of party members")
    efficacy: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=2, b=4), description="E (能力), perceived capacity")
    trust: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=3, b=3), description="T (公信力), trust in community/street office")
    attachment_local: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=3, b=2), description="A (归属感) of locals")
    attachment_migrant: Annotated[
        Beta, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=2, b=3), description="A of migrants")
    dependency: Annotated[
        Share, Param("attitude (0–1)", "assumption"),
    ] = Field(0.3, description="D (靠等要) at start, all residents")
    low_income_share: Annotated[
        Share, Param("share", "mca2023", "assumption"),
        PerCommunity("low-income households cluster in old and resettled housing"),
    ] = Field(
        0.02, description="share of households with low income (低保, 低保边缘, 特困): urban "
        "低保 recipients are under 1% of urban residents (MCA 2023); with the near-poor edge "
        "groups we assume 2%",
    )
    propensity_sd: Annotated[float, Param("logit", "calibrated")] = Field(
        1.5, ge=0.0, le=5.0,
        description="σ_u: standard deviation of each adult's persistent inclination to take part "
        "(logit units; time, temperament: what the attitudes leave out). It concentrates "
        "participation in the same people, so far fewer volunteer in a year than the 19.7–23% "
        "registered (press reports of city statistics)",
    )
    satisfaction: Annotated[Share, Param("attitude (0–1)", "calibrated")] = Field(
        0.25, description="S with community services at start: near the pre-reform steady state "
        "of the default model (≈0.27 since issue 9's problems; the reference design had 0.5), "
        "so satisfaction gains, and "
        "yuan_per_satisfaction, are measured from rest rather than from an arbitrary start",
    )
    needs_prior: Annotated[
        NeedsPrior, Param("Dirichlet concentration", "assumption"),
    ] = Field(NeedsPrior(), description="Dirichlet prior of needs by age")

    mobility: Mobility = Field(Mobility(), description="residential mobility (ODD §7.9)")

    @model_validator(mode="after")
    def _age_shares_sum_to_one(self) -> Population:
        total = sum(self.age_shares.as_tuple())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"age_shares must add up to 1, got {total:g}")
        return self


# ------------------------------------------------------------------------------------ behavior
class ByActivity(_Config):
    deliberate: float
    volunteer: float
    monitor: Annotated[float, FUNDED]  # monitoring is open only while a project runs

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.deliberate, self.volunteer, self.monitor)


class Demands(_Config):
    """Residents' problems (grievances, service needs) and how they are heard and resolved
    (ODD §7.2 trust; ODD §7.7 "Problems, surfacing and the backlog").

    Problems arise whether or not anyone listens; contact, participation and the hotline surface
    them; the street office resolves its backlog up to capacity (Beijing's 接诉即办 and 12345,
    seed001: party members "及时了解居民的需求和诉求" as a 桥梁纽带)."""

    arise_rate: Annotated[Share, Param("problems/adult/month", "assumption")] = Field(
        0.015, description="monthly chance an adult of working age without care duties, and "
        "with no open problem, gets one needing the street office or committee (≈ one adult in "
        "six a year; Beijing's 12345 hotline takes roughly one call per resident a year, most "
        "of them enquiries, so this is an order of magnitude, not a measurement)",
    )
    elder_factor: Annotated[NonNegative, Param("ratio", "seed003")] = Field(
        1.0, description="extra rate of elders: rate × (1 + this) (seed003 names empty-nest "
        "elders first among those needing help)",
    )
    care_factor: Annotated[NonNegative, Param("ratio", "seed003")] = Field(
        0.5, description="extra rate of adults with care duties: rate × (1 + this) (children, "
        "frail kin: 重点需要帮助的对象, seed003)",
    )
    contact_surface: Annotated[Share, Param("probability", "seed001", "seed003")] = Field(
        0.8, description="chance an open problem is told to the party member or grid worker "
        "who contacts the household this month (了解居民的需求和诉求, seed001; 主动走访, "
        "seed003)",
    )
    participant_surface: Annotated[Share, Param("probability", "seed001")] = Field(
        0.5, description="chance an open problem is raised by a resident who takes part this "
        "month (any activity: deliberation, volunteering or monitoring brings one face to face "
        "with committee staff; 民主恳谈 ... 充分表达意见和诉求, seed001)",
    )
    hotline_rate: Annotated[Share, Param("probability/month", "seed001", "assumption")] = Field(
        0.05, description="monthly chance an unheard open problem is self-reported (12345 "
        "hotline, 接诉即办, seed001; the rate is an assumption)",
    )
    coping_rate: Annotated[Share, Param("probability/month", "assumption")] = Field(
        0.03, description="monthly chance an open problem goes away without anyone solving it "
        "(the resident copes, gives up or the need passes): slow, about 30% a year",
    )
    office_hours_per_project: Annotated[
        NonNegative, Param("hours/project/month", "assumption"),
    ] = Field(
        20.0, description="street-office staff hours per community tied up each month in a "
        "fund project the office implements itself (about one day a week of one post); hours an "
        "office that buys services (归位, 三社联动, seed000) keeps for residents' problems. "
        "Matters only with a fund and when problems exceed the office's capacity",
    )
    experience_resolved: Annotated[Share, Param("share of the gap", "kampen2006")] = Field(
        0.5, description="x += this·(1 − x) when one's own problem is resolved",
    )
    experience_waiting: Annotated[Share, Param("rate/month", "kampen2006")] = Field(
        0.1, description="x −= this·x for every month one's problem stays open, heard or not "
        "(bad experiences weigh more than good, Kampen et al. 2006)",
    )
    experience_heard: Annotated[Share, Param("share of the gap", "assumption")] = Field(
        0.05, description="x += this·(1 − x) in the month one's problem is heard (contact, "
        "participation, hotline): having been heard counts a little",
    )
    open_problem_satisfaction_loss: Annotated[Share, Param("share", "assumption")] = Field(
        0.3, description="share of the satisfaction target lost while one's own problem is open",
    )


class Cost(_Config):
    """Time cost of taking part, in logit units (ODD §7.1 'cost')."""

    youth: Annotated[NonNegative, Param("logit", "calibrated")] = Field(
        2.6, description="base cost for youth (study, careers, little free time); with the "
        "employment cost it puts the elder/youth odds ratio of annual council turnout near the "
        "election anchor (77.7% vs 13.8%: odds ratio ≈ 22, Shanghai social survey; measured in "
        "docs/ODD.md §9.2)",
    )
    adult: Annotated[
        NonNegative, Param("logit", "calibrated"),
    ] = Field(1.1, description="base cost for adults 35–59")
    elder: Annotated[
        NonNegative, Param("logit", "assumption"),
    ] = Field(0.0, description="base cost for elders (most free time)")
    employed: Annotated[
        NonNegative, Param("logit", "assumption"),
    ] = Field(0.8, description="added cost of being employed")
    migrant: Annotated[
        NonNegative, Param("logit", "assumption"),
    ] = Field(0.6, description="added cost for migrants (shift work, tenure)")
    care_duty: Annotated[
        NonNegative, Param("logit", "assumption"),
    ] = Field(0.5, description="added cost of care duties")
    dual_registration_relief: Annotated[
        NonNegative, ActiveWhen("policy.party.dual_registration", True),
        Param("logit", "assumption"),
    ] = Field(
        0.6, description="cost cut for employed party members under 双报到 (seed001)"
    )


class Behavior(_Config):
    """Behaviour coefficients (ODD §7). Logit coefficients are per unit of the variable."""

    # 7.1 participation logit
    alpha: Annotated[
        ByActivity, Param("logit", "calibrated"), Label("参与基础倾向", "participation intercept"),
    ] = Field(
        ByActivity(deliberate=-5.9, volunteer=-6.15, monitor=-7.4),
        description="α_a: intercepts of the participation logit per activity",
    )
    beta_public_spirit: Annotated[
        float, Param("logit/unit", "assumption"), Label("公共精神权重", "weight of public spirit"),
    ] = Field(2.0, description="β_P")
    beta_efficacy: Annotated[
        float, Param("logit/unit", "assumption"),
    ] = Field(1.5, description="β_E")
    beta_trust: Annotated[float, Param("logit/unit", "assumption")] = Field(1.0, description="β_T")
    beta_stake: Annotated[
        float, Param("logit/unit", "calibrated"), Label("切身利益权重", "weight of stake"),
    ] = Field(2.5, description="β_stake")
    beta_network: Annotated[
        float, Param("logit/unit", "assumption"), Label("邻里带动权重", "weight of neighbours"),
    ] = Field(2.0, description="β_N: weight of neighbours' last-month share")
    beta_recruit: Annotated[
        float, Param("logit/unit", "assumption"), Label("上门动员权重", "weight of being asked"),
    ] = Field(0.9, description="β_R: contacted by a party member or grid worker")
    beta_incentive: Annotated[
        float, ActiveWhen("policy.incentive.scheme", "points", "time_bank"),
        Param("logit/unit", "lacetera2012", "calibrated"),
    ] = Field(
        0.2, description="β_I: logit per unit of ln(1 + v/yuan0), v the perceived "
        "yuan(-equivalent) value of one activity under points or time_bank. Material rewards "
        "raise pro-social "
        "acts, more with larger value (Lacetera, Macis & Slonim 2012/2013: direction and dose "
        "response); the size is calibrated so that no scheme buys more participation per yuan "
        "than the community fund does (ODD §7.1)")
    beta_cost: Annotated[float, Param("logit/unit", "assumption")] = Field(1.0, description="β_C")
    beta_dependency: Annotated[
        float, Param("logit/unit", "assumption"),
    ] = Field(1.5, description="β_D")
    beta_party: Annotated[
        float, Param("logit", "assumption"), Label("党员先锋加成", "party member bonus"),
    ] = Field(0.3, description="β_party: vanguard bonus of party members")
    beta_self_org: Annotated[
        float, Param("logit", "assumption"),
    ] = Field(0.8, description="bonus for members of a self-organization")
    beta_habit: Annotated[
        float, Param("logit/unit", "calibrated"), Label("参与习惯权重", "weight of habit"),
    ] = Field(
        1.5, description="weight of engagement (memory of one's own recent participation): "
        "the same people come back, so registered volunteers (~20%) far outnumber the active",
    )
    cost: Annotated[Cost, Label("参与时间成本", "time cost")] = Field(
        Cost(), description="time-cost components")
    stake_fund_scale: Annotated[float, FUNDED, Param("yuan/household/year", "assumption")] = Field(
        100.0, gt=0.0, description="f0, yuan per household per year in log(1 + fund/f0)"
    )
    incentive_yuan_scale: Annotated[
        float, ActiveWhen("policy.incentive.scheme", "points", "time_bank"),
        Param("yuan", "assumption"),
    ] = Field(
        20.0, gt=0.0, description="yuan0: I = ln(1 + v/yuan0), v yuan(-equivalent) per activity: "
        "about an hour's local minimum wage, the size at which a reward starts to pay for the "
        "time an activity takes; money saturates above it (assumption)"
    )
    recruit_memory: Annotated[
        int, Param("months", "assumption"),
    ] = Field(2, ge=1, le=24, description="months a contact keeps working")
    party_activation: Annotated[
        NonNegative, ActiveWhen("policy.party.contacts_per_month", above=0),
        Param("ratio", "seed004", "assumption"),
    ] = Field(
        1.0, description="a party member makes the month's contact rounds with probability "
        "min(1, this × public spirit): membership alone does not make a vanguard — "
        "Chenghua had to 重新唤起党员身份的荣誉感和责任意识 (seed004); 1 (probability = "
        "public spirit) is an assumption",
    )
    # 7.1 organising capacity gate
    hours_per_admin_item: Annotated[NonNegative, Param("hours/item/month", "seed000")] = Field(
        0.7, description="committee hours per admin item per month in a community of 2,000 "
        "adults, in proportion to its adults elsewhere (an item's work — certificates, "
        "registrations, inspections, forms — grows with the residents it concerns): 537 items ≈ "
        "65% of the committee's hours at any size (seed000: 537 → 69 items)"
    )
    deliberation_hours_per_resident: Annotated[
        NonNegative, Param("hours/resident/month", "assumption"),
    ] = Field(
        0.2, description="committee hours needed per resident in a deliberation month"
    )
    # 7.2 attitudes
    efficacy_learning: Annotated[
        Share, Param("rate/evaluation", "assumption"),
    ] = Field(0.3, description="η_E at evaluation")
    efficacy_ignored_loss: Annotated[Share, Param("share", "assumption")] = Field(
        0.3, description="share of η_E·E lost by voters who heard that no project was delivered "
        "in their top-need category"
    )
    efficacy_relax: Annotated[
        Share, Param("rate/month", "assumption"),
    ] = Field(0.02, description="monthly relaxation of E toward baseline")
    training_efficacy_gain: Annotated[
        Share, ActiveWhen("policy.training_rate", above=0), Param("share of the gap", "assumption"),
    ] = Field(
        0.2, description="Δ_train: E += Δ_train·(1 − E)")
    trust_learning: Annotated[
        Share, Param("rate/month", "assumption"),
    ] = Field(0.05, description="η_T per month")
    trust_disposition_weight: Annotated[Share, Param("weight", "uslaner2002")] = Field(
        0.4, description="w_0: weight of one's own baseline trust T0 in the trust target "
        "(generalized trust is partly a stable disposition, Uslaner 2002)",
    )
    trust_experience_weight: Annotated[Share, Param("weight", "kampen2006")] = Field(
        0.3, description="w_x: weight of one's own experience x of problems solved or left "
        "waiting in the trust target; the rest (1 − w_0 − w_x) is the community's service "
        "quality (Kampen et al. 2006)",
    )
    trust_leak_hit: Annotated[
        Share, FUNDED, Param("trust/leaked share", "assumption"),
    ] = Field(0.3, description="trust lost per unit leaked share, if exposed")
    public_spirit_reinforcement: Annotated[Share, Param("rate/month", "assumption")] = Field(
        0.01, description="P += η·(1 − P) per month of taking part (identity)"
    )
    public_spirit_fatigue: Annotated[
        Share, Param("rate/month", "ledyard1995", "fischbacher2010", "calibrated"),
        Label("公共精神倦怠", "public-spirit fatigue"),
    ] = Field(
        0.03, description="P −= η·P per month of taking part unrecognised: contributions decline "
        "with repetition, never to zero (Ledyard 1995; Fischbacher & Gächter 2010); 0.03 is the "
        "ABC-SMC posterior median against calibration/anchors.yaml (ODD §9.8), whose 90% "
        "credible interval [0.020, 0.047] left out the earlier 0.02",
    )
    public_spirit_party_example: Annotated[Share, Param("rate/month", "assumption")] = Field(
        0.02, description="P += η·share of neighbours who are active party members·(1 − P)"
    )
    public_spirit_relax: Annotated[
        Share, Param("rate/month", "assumption"),
    ] = Field(0.01, description="monthly relaxation of P toward baseline")
    crowding_out: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "points"), Label("挤出效应", "crowding out"),
        Param("rate/month", "frey1997", "gneezy2000", "mellstrom2008", "calibrated"),
    ] = Field(
        0.015, description="κ_out: P −= κ·took·P/(1 + v/y_m) per paid month under points: pay "
        "for a civic act crowds out the civic motive, most when small (Frey & Oberholzer-Gee "
        "1997: compensation halved acceptance 50.8% → 24.6%; Gneezy & Rustichini 2000: small pay "
        "cut effort ~36%, large pay still ~8% below unpaid; Mellström & Johannesson 2008); rate "
        "calibrated so that 0.1 yuan an activity is net negative by year 3",
    )
    crowding_in: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "time_bank"),
        Param("rate/month", "seyfang2003", "assumption"),
    ] = Field(
        0.005, description="κ_in: P += κ_in·took·(1 − P) per month of taking part under "
        "time_bank: reciprocity among members (Seyfang 2003/2004: time banks build mutual "
        "help); the rate is an assumption, half the identity reinforcement")
    incentives: Incentives = Field(
        default_factory=lambda: Incentives(), description="redemption, credibility, recognition "
        "and crowding scale of the incentive schemes (ODD §7.1 'Incentives')")
    dependency_topdown: Annotated[Share, FUNDED, Param("rate/year", "seed003")] = Field(
        0.1, description="D += η·(1 − council share of committed cost)·log(1 + (spent + "
        "leaked) per household/f0)·(1 − D) per year: 给与式治理 breeds 靠等要 (seed003)"
    )
    dependency_participation: Annotated[Share, Param("rate/month", "assumption")] = Field(
        0.03, description="D −= η·D per month of taking part (靠等要 ↔ co-creation)"
    )
    attachment_learning: Annotated[
        Share, Param("rate/month", "assumption"),
    ] = Field(0.03, description="η_A per month")
    attachment_tie_weight: Annotated[
        Share, Param("weight", "assumption"),
    ] = Field(0.3, description="weight of ties in attachment target")
    attachment_participation_weight: Annotated[Share, Param("weight", "assumption")] = Field(
        0.3, description="weight of taking part in attachment target"
    )
    attachment_degree_ref: Annotated[
        float, Param("ties", "assumption"),
    ] = Field(8.0, gt=0.0, description="degree at which ties saturate")
    satisfaction_learning: Annotated[
        Share, Param("rate/month", "assumption"),
    ] = Field(0.1, description="η_S per month")
    satisfaction_needs_weight: Annotated[Share, Param("weight", "assumption")] = Field(
        0.4, description="weight of needs met in satisfaction target (rest: performance)"
    )
    engagement_memory: Annotated[Share, Param("rate/month", "calibrated")] = Field(
        0.2, description="engagement ← (1 − m)·engagement + m·took_any, monthly"
    )
    # 7.3–7.5 fund cycle
    project_cost: Annotated[
        float, FUNDED, Param("yuan", "seed000"), Label("项目平均成本", "mean project cost"),
    ] = Field(
        100_000.0, gt=0.0, description="mean project cost, yuan (1.4亿 / 1,297 projects, seed000)"
    )
    project_cost_cv: Annotated[float, FUNDED, Param("ratio", "assumption")] = Field(
        0.5, ge=0.0, le=2.0, description="coefficient of variation of project cost (lognormal)"
    )
    yuan_per_household_served: Annotated[
        float, FUNDED, Param("yuan/household/year", "assumption"),
    ] = Field(
        100.0, gt=0.0, description="yuan a project needs per household to serve a category's need "
        "for a year; coverage = min(1, cost / (households · this))",
    )
    candidates_per_category: Annotated[
        int, FUNDED, Param("projects", "assumption"),
    ] = Field(3, ge=1, le=50, description="candidate projects per cycle")
    override_propensity: Annotated[
        Share, OVERRIDDEN, Param("share", "calibrated"),
        Label("街道改变居民决定的倾向", "office override propensity"),
    ] = Field(
        0.5, description="ω: override = ω·(1 − σ), the street office replacing council choices"
    )
    office_preference: Annotated[ByCategory, FUNDED, Param("weight", "seed002")] = Field(
        ByCategory(
            elder_care=0.3, childcare=0.3, environment=2.0, safety=0.5, culture=2.0, facilities=4.0
        ),
        description="street office's project preference weights (showcase projects, seed002)",
    )
    base_leakage: Annotated[
        Share, FUNDED, Param("share", "assumption"),
        Label("无监督时资金流失率", "leakage unmonitored"),
    ] = Field(0.25, description="leaked share of spending with no monitoring")
    monitor_full_share: Annotated[float, FUNDED, Param("share", "assumption")] = Field(
        0.03, gt=0.0, le=1.0, description="share of residents monitoring that gives full oversight"
    )
    office_capacity_base: Annotated[Share, FUNDED, Param("quality (0–1)", "calibrated")] = Field(
        0.4, description="street office delivery quality at σ = 0 (all effort on investment)"
    )
    office_capacity_per_focus: Annotated[
        Share, FUNDED, Param("quality (0–1)", "calibrated", "seed002"),
    ] = Field(
        0.4, description="delivery quality the street office gains from σ = 0 to σ = 1: "
        "capacity = base + this · σ (归位 improves service, seed002)",
    )
    quality_without_projects: Annotated[Share, Param("quality (0–1)", "calibrated")] = Field(
        0.3, description="service quality residents perceive in a cycle with no delivered "
        "project (performance, §7.2 trust)",
    )
    hours_per_demand: Annotated[
        float, Param("hours/problem", "assumption"),
    ] = Field(4.0, gt=0.0, description="street-office staff hours to resolve one problem")
    demands: Demands = Field(Demands(), description="residents' problems: how they arise, are "
                             "heard and resolved (§7.7)")
    sigma_accountability: Annotated[
        Share, ActiveWhen("policy.resident_evaluation", True), Param("rate/year", "assumption"),
    ] = Field(
        0.3, description="η_σ: σ += η_σ·(1 − S̄)·(1 − σ) per year under resident evaluation "
        "(dissatisfied residents push the office toward service)",
    )
    sigma_pull: Annotated[Share, Param("rate/year", "seed002", "seed000")] = Field(
        0.3, description="λ_σ: σ −= λ_σ·(σ − policy.service_focus) per year: the office's "
        "institutional setting (investment targets and their 考核 indicators, seed002; removed "
        "by the reform, 取消相应的考核指标, seed000) pulls σ back to the policy value",
    )
    donation_yuan_per_month: Annotated[
        NonNegative, ActiveWhen("policy.foundation", True), Param("yuan/month", "assumption"),
    ] = Field(
        2.0, description="monthly donation, yuan, of a resident with T·A = 1 (foundation)"
    )
    foundation_payout: Annotated[
        Share, ActiveWhen("policy.foundation", True), Param("share/cycle", "assumption"),
    ] = Field(
        0.5, description="share of the foundation balance granted to each cycle's budget"
    )
    # 7.6 network
    tie_formation: Annotated[Share, Param("probability/month", "assumption")] = Field(
        0.0003, description="p_tie: chance two co-participants of a month form a tie"
    )
    tie_decay: Annotated[
        Share, Param("probability/month", "assumption"),
    ] = Field(0.03, description="monthly chance an unused grown tie dissolves")
    tie_decay_used: Annotated[Share, Param("probability/month", "assumption")] = Field(
        0.01, description="monthly chance a grown tie dissolves although both ends took part "
        "this month (activities rotate people, interests shift): a tie lasts about 8 years of "
        "joint activity, so grown ties settle instead of only accumulating",
    )
    # 7.8 organizations
    capacity_learning: Annotated[
        Share, CONTRACTED, Param("rate/month", "argote1990"),
    ] = Field(0.03, description="η_κ: share of the capacity gap closed per contract month "
              "(learning by doing): 1 − 0.97⁸ ≈ 22% a contract year, a progress ratio ≈ 0.8")
    capacity_decay: Annotated[
        Share, CONTRACTED, Param("capacity/month", "argote1990", "assumption"),
    ] = Field(0.01, description="κ lost per idle month (knowledge depreciates when unused)")
    capacity_training_gain: Annotated[
        Share, ActiveWhen.all_of(ActiveWhen("policy.training_rate", above=0), CONTRACTED),
        Param("capacity/(training rate/year)", "assumption"),
    ] = Field(
        0.5, description="share of an organization's capacity gap closed in a year in which "
        "all its staff are trained (training_rate = 1); κ += this·training_rate/12·(1 − κ) a month")
    reputation_learning: Annotated[
        Share, CONTRACTED, Param("rate/evaluation", "assumption"),
    ] = Field(0.3, description="η_rep at evaluation")
    zombie_after: Annotated[
        int, Param("months", "assumption"),
    ] = Field(24, ge=1, le=600, description="idle months before an org is a zombie")
    self_org_min: Annotated[
        int, Param("residents", "assumption"),
    ] = Field(4, ge=2, le=500, description="engaged residents to form a self-org")
    self_org_formation: Annotated[Share, Param("probability/month", "assumption")] = Field(
        0.05, description="monthly chance a qualifying building group forms a self-org"
    )
    self_org_engagement: Annotated[Share, Param("engagement (0–1)", "assumption")] = Field(
        0.5, description="engagement above which an unaffiliated resident counts as engaged "
        "for forming a self-organization",
    )
    self_org_dissolve_engagement: Annotated[Share, Param("engagement (0–1)", "assumption")] = Field(
        0.15, description="a self-org dissolves when its members' mean engagement falls below"
    )
    second_specialty_share: Annotated[Share, Param("share", "assumption")] = Field(
        0.5, description="share of new professional organizations with a second specialty"
    )
    initial_reputation: Annotated[
        Share, CONTRACTED, Param("reputation (0–1)", "assumption"),
    ] = Field(0.5, description="reputation of a new organization")
    professional_capacity: Annotated[
        Beta, CONTRACTED, Param("Beta shape", "assumption"),
    ] = Field(Beta(a=5, b=3), description="κ of new professional orgs")
    self_org_capacity: Annotated[
        Share, CONTRACTED, Param("capacity (0–1)", "assumption"),
    ] = Field(0.3, description="κ of a new self-organization")
    organizations: Organizations = Field(
        default_factory=lambda: Organizations(),
        description="specialty, supervision (异常名录/黑名单) and contracting of social "
        "organizations (§7.3, §7.8)",
    )
    foundation: Foundation = Field(
        default_factory=lambda: Foundation(),
        description="income of the community foundation beyond residents' donations (§7.8)",
    )


# -------------------------------------------------------------------------------------- policy
class Incentives(_Config):
    """How residents respond to incentive schemes and how schemes are honoured (ODD §7.1
    "Incentives"): points redeemed at the points mall (积分商城, seed004), time-bank credits
    redeemed as services (时间银行, seed001), credibility, recognition (表彰)."""

    redemption_rate: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "points", "time_bank"),
        Param("share/month", "seed004", "assumption"),
    ] = Field(
        0.25, description="share of one's points or credit balance one asks to redeem each month "
        "(seed004: online and offline points mall, 季度考评积分 quarterly points; about a "
        "quarter a month is an assumption)")
    initial_credibility: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "points", "time_bank"),
        Param("share", "assumption"),
    ] = Field(
        0.5, description="credibility of a newly announced scheme: residents discount a promise "
        "until they see it honoured (assumption)")
    credibility_learning: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "time_bank", "points"),
        Param("rate/month", "assumption"),
    ] = Field(
        0.1, description="η_c: credibility c ← c + η_c·(fill − c) in a month with redemption "
        "requests, fill = share of requests honoured; the perceived value of an activity is "
        "c × its nominal value")
    time_bank_spent_share: Annotated[
        Share, ActiveWhen("policy.incentive.scheme", "time_bank"),
        Param("share", "seyfang2003", "collom2008", "assumption"),
    ] = Field(
        0.5, description="share of time-bank credits ever spent: many members earn more hours "
        "than they spend and balances stay unspent (Seyfang 2003/2004; Collom 2008); the value "
        "0.5 is an assumption")
    crowding_motive_yuan: Annotated[
        float, ActiveWhen("policy.incentive.scheme", "points"),
        Param("yuan/activity", "gneezy2000", "assumption"),
    ] = Field(
        50.0, gt=0.0, description="y_m: crowding out per paid month is κ_out/(1 + v/y_m): halved "
        "at a payment of y_m an activity. Gneezy & Rustichini's large pay still left effort "
        "below unpaid, so crowding persists across ordinary payments; the value is an assumption")
    recognition_effect: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "recognition"),
        Param("relative", "gallus2017", "ashraf2014"),
    ] = Field(
        0.2, description="ρ: public recognition (表彰, 通报表扬) multiplies the odds of taking "
        "part by 1 + ρ (logit + ln(1 + ρ)), no money and no crowding out: a symbolic award raised "
        "Wikipedia newcomers' retention ~20% (Gallus 2017); public recognition doubled health "
        "volunteers' sales where money had no significant effect (Ashraf, Bandiera & Jack 2014)")




class Incentive(_Config):
    """Incentive scheme (seed004: 5 kinds of points, 每100积分兑换1元商品, points mall, 通报表扬;
    seed001: 时间银行). Every size is in yuan or yuan-equivalent (ODD §7.1 "Incentives")."""

    scheme: Annotated[
        Literal["none", "points", "time_bank", "recognition"], Param("scheme", "seed004"),
        Label("激励方式", "incentive scheme"),
        Control("outreach", choices=(("none", "无"), ("points", "积分"),
                                     ("time_bank", "时间银行"), ("recognition", "表彰"))),
    ] = Field(
        "none", description="none, points (积分, redeemed for goods paid from the community's "
        "budget), time_bank (时间银行, credits redeemed as other members' service hours), "
        "recognition (表彰, public honour, no money)"
    )
    points_per_activity: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "points"),
        Param("points/activity", "seed004"), Label("每次积分", "points per activity"),
        Control("outreach", kind="int", low=0, high=100, step=5),
    ] = Field(
        10.0, description="points per activity (Chenghua); the yuan value of an activity is "
        "points_per_activity × yuan_per_100_points / 100 (0.1 yuan at the defaults)")
    yuan_per_100_points: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "points"),
        Param("yuan/100 points", "seed004"), Label("积分兑换", "yuan per 100 points"),
    ] = Field(
        1.0, description="yuan of goods per 100 points at the points mall (每100积分兑换1元商品, "
        "seed004), paid from the community's budget")
    hours_per_activity: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "time_bank"),
        Param("hours/activity", "seed004", "assumption"), Label("每次时长", "hours per activity"),
    ] = Field(
        2.0, description="time-bank credit hours per activity (an hour given is an hour banked; "
        "计时 rewards by duration, seed004); 2 hours a session is an assumption")
    yuan_per_hour: Annotated[
        NonNegative, ActiveWhen("policy.incentive.scheme", "time_bank"),
        Param("yuan-equivalent/hour", "assumption"), Label("每小时价值", "yuan per hour"),
    ] = Field(
        20.0, description="yuan-equivalent of an hour of service received back (about an hour of "
        "local minimum wage; assumption)")


class Organizations(_Config):
    """Social organizations as contractors (ODD §7.3, §7.8): specialty,
    supervision's 异常名录/黑名单 (seed000) and tendering."""

    off_specialty_quality: Annotated[
        Share, CONTRACTED, Param("share of κ", "salamon1987", "assumption"),
    ] = Field(
        0.5, description="share of its capacity an organization delivers on a project outside "
        "its specialties (amateurism: skill is learnt in a specialty)",
    )
    tender_noise: Annotated[
        Share, CONTRACTED, Param("score", "jing2015", "assumption"),
    ] = Field(
        0.05, description="τ: the office picks a bid with probability ∝ exp(reputation·quality "
        "/ τ); 0 = the best bid always wins. Contracting is seldom fully competitive (Jing & "
        "Chen 2012): at 0.05 a bid 0.1 below the best wins e⁻² ≈ 0.14 times as often",
    )
    blacklist_reputation: Annotated[
        Share, ActiveWhen.all_of(ActiveWhen("policy.supervision", True), CONTRACTED),
        Param("reputation (0–1)", "seed000", "assumption"),
    ] = Field(
        0.4, description="under supervision an organization rated below this is a problem "
        "organization (异常名录/黑名单): barred from purchase contracts, a professional one "
        "deregistered at the evaluation (seed000); 0.1 below a new one's reputation",
    )


class Foundation(_Config):
    """Income of a community foundation beyond residents' donations (seeds 000, 004)."""

    city_grant: Annotated[
        NonNegative, ActiveWhen("policy.foundation", True), Param("yuan/year", "seed000",
                                                                   "assumption"),
    ] = Field(
        20_000.0, description="city budget money paid into each community's foundation a "
        "year (成都市财政自2017年起每年预算一笔专项资金, seed000; the amount is an assumption, "
        "10% of the 2009 fund)",
    )
    social_capital: Annotated[
        NonNegative, ActiveWhen("policy.foundation", True), Param("yuan/year", "seed004",
                                                                   "assumption"),
    ] = Field(
        10_000.0, description="social capital a community foundation raises a year: social "
        "enterprises, low-fee service income, online giving, charity shops (seed004; the "
        "amount is an assumption, about 800 yuan a month)",
    )


Behavior.model_rebuild()  # ``incentives``, ``organizations`` and ``foundation`` are defined above


class Grid(_Config):
    """Grid management (网格化, Haicang seed003: 300–400 households, 1–2 workers, ≥60 visits)."""

    households_per_grid: Annotated[  # grids: whom grid workers visit, whom party members contact
        int, ActiveWhen.any_of(ActiveWhen("policy.grid.workers_per_grid", above=0),
                               ActiveWhen("policy.party.contacts_per_month", above=0)),
        Param("households", "seed003"), Label("每格户数", "households per grid"),
    ] = Field(350, ge=10, le=5000, description="households per grid")
    workers_per_grid: Annotated[
        int, Param("workers/grid", "seed003"), Label("网格员/格", "grid workers per grid"),
        Control("outreach", low=0, high=4, step=1),
    ] = Field(1, ge=0, le=20, description="grid workers per grid")
    visits_per_worker: Annotated[
        int, ActiveWhen("policy.grid.workers_per_grid", above=0),
        Param("visits/worker/month", "seed003"), Label("走访户数/月", "visits per worker a month"),
    ] = Field(
        60, ge=0, le=1000, description="household visits per month")
    vulnerable_priority: Annotated[
        NonNegative, ActiveWhen("policy.grid.workers_per_grid", above=0),
        Param("weight", "seed003"), Label("重点对象优先", "vulnerable priority"),
    ] = Field(
        2.0, description="extra visit weight of vulnerable households: empty-nest elders (all "
        "adults 60+), care duties, low income (特别是对空巢老人、低保户、重点需要帮助的对象, "
        "seed003; the size of the weight is an assumption)",
    )
    newcomer_priority: Annotated[
        NonNegative, ActiveWhen("policy.grid.workers_per_grid", above=0),
        Param("weight", "seed003"), Label("新入住户优先", "newcomer priority"),
    ] = Field(
        2.0, description="extra visit weight of households that moved in within the last 12 "
        "months: grids exist to reach a mobile population the committee does not yet know (外来"
        "人口比较多,流动性也大,经常出现管服务不到位,管理不到边, seed003); workers register and "
        "visit new arrivals (管理到边). Migrants move more (§7.9), so this reaches them without a "
        "weight on migrant status; the size of the weight is an assumption",
    )
    migrant_priority: Annotated[
        NonNegative, ActiveWhen("policy.grid.workers_per_grid", above=0),
        Param("weight", "assumption"), Label("流动人口优先", "migrant priority"),
    ] = Field(
        0.0, description="extra visit weight of migrant households, for experiments: seed003 "
        "names the vulnerable, not migrants, as the households grid workers visit, so 0 by "
        "default",
    )
    resolve_share: Annotated[
        Share, ActiveWhen("policy.grid.workers_per_grid", above=0), Param("share", "seed003"),
        Label("就地解决", "resolved on the spot"),
    ] = Field(
        0.5, description="share of demands found on grid visits that the grid worker resolves "
        "on the spot (切实帮群众解决实事, seed003); the rest go to the street office",
    )
    recent_contact_weight: Annotated[
        Share, ActiveWhen("policy.grid.workers_per_grid", above=0), Param("weight", "seed003"),
        Label("近期走访权重", "recent-contact weight"),
    ] = Field(
        0.2, description="visit weight of a household still counted as recruited at the start of "
        "the month (workers seek out the unreached: 主动走访, seed003)",
    )


class Party(_Config):
    """Party-member vanguard action (党员联系户 seed004; 双报到 seed001)."""

    contacts_per_month: Annotated[
        int, Param("households/month", "seed004"), Label("党员联系户/月", "party contacts a month"),
        Control("outreach", low=0, high=24, step=1),
    ] = Field(
        6, ge=0, le=200,
        description="households each active party member contacts per month (党员联系户, seed004)",
    )
    dual_registration: Annotated[
        bool, Param("switch", "seed001"), Label("双报到", "dual registration"), Control("outreach"),
    ] = Field(False, description="双报到: in-service members report home")


class ScheduledChange(_Config):
    """A policy change applied at the start of ``month`` (1-based): in every community, or only
    in the community named ``community`` or in the communities of the street office named
    ``street_office`` (names as in the layout: the table's, or "<street>-<k>" and "<street>"
    for a uniform structure); a targeted change may set only policy keys of
    :data:`COMMUNITY_KEYS`."""

    month: int = Field(ge=1, le=100_000)
    set: dict[str, Any] = Field(description="policy keys (dotted paths allowed) and new values")
    community: str | None = Field(None, min_length=1,
                                  description="the one community the change applies to")
    street_office: str | None = Field(None, min_length=1,
                                      description="the street office whose communities it "
                                      "applies to")

    @field_validator("community", "street_office", mode="before")
    @classmethod
    def _number_is_a_name(cls, value: Any) -> Any:
        return name_text(value)

    @model_validator(mode="after")
    def _one_target(self) -> ScheduledChange:
        if self.community is not None and self.street_office is not None:
            raise ValueError("give community or street_office, not both")
        if self.target is not None:
            allowed = targetable_keys()
            wrong = [str(key) for key in self.set if str(key) not in allowed]
            if wrong:
                raise NestedProblems([(("set", key), f"'{key}' cannot be set for one "
                                       f"{self.target[0].replace('_', ' ')}: only "
                                       f"{', '.join(allowed)} can") for key in wrong])
        return self

    @property
    def target(self) -> tuple[str, str] | None:
        """("community" or "street_office", name), or None for the whole district."""
        if self.community is not None:
            return "community", self.community
        if self.street_office is not None:
            return "street_office", self.street_office
        return None


def targetable_keys() -> tuple[str, ...]:
    """Policy keys (without ``policy.``) a scheduled change may set for one community or
    street office: the policy keys of :data:`COMMUNITY_KEYS`."""
    return tuple(key.removeprefix("policy.") for key in COMMUNITY_KEYS
                 if key.startswith("policy."))


class Policy(_Config):
    """The levers (ODD §6.1). 还权 devolution, 赋能 empowerment, 归位 proper roles."""

    devolution: Annotated[
        Share, FUNDED, Param("share", "seed000"), Label("居民议定", "devolution"),
        Control("huanquan", step=0.01),
    ] = Field(
        0.0, description="还权: share of the fund's project choices made by the council"
    )
    transparency: Annotated[
        Share, Param("probability", "assumption"), Label("公开", "transparency"),
        Control("huanquan", step=0.01),
    ] = Field(0.3, description="还权: chance a resident learns outcomes (公开)")
    fund_per_community: Annotated[
        NonNegative, Param("yuan/year", "seed000"), Label("社区资金", "community fund"),
        Control("funeng", kind="int", low=0, high=50, step=1, scale=10_000, unit="万元/年"),
        PerCommunity("districts pilot the fund in some communities first, or scale it by "
                     "size (seed000: villages first, all communities from 2012)"),
    ] = Field(
        0.0, description="赋能: community fund, yuan per community per year (≥200,000, seed000)"
    )
    fund_growth: Annotated[
        float, Field(ge=0.0, le=1.0), ActiveWhen("policy.fund_per_community", above=0),
        Param("share/year", "seed000"), Label("资金逐年递增", "fund growth"),
    ] = Field(
        0.0, description="yearly real growth of the fund, share per year: its rise beyond the "
        "prices of what it buys (逐年递增, seed000; the model counts yuan at the prices of the "
        "run's first year)"
    )
    training_rate: Annotated[
        Share, Param("share/year", "assumption"), Label("培训", "training"),
        Control("funeng", low=0, high=0.1, step=0.005, unit="/年"),
    ] = Field(0.0, description="赋能: share of residents, and of social organizations' "
                  "staff, trained per year")
    resident_evaluation: Annotated[
        bool, Param("switch", "seed000"), Label("居民评议政府", "resident evaluation"),
        Control("funeng"),
    ] = Field(False, description="赋能: residents evaluate the office")
    purchase_share: Annotated[
        Share, FUNDED, Param("share", "seed000"), Label("购买服务", "purchase of services"),
        Control("funeng", step=0.01),
    ] = Field(
        0.0, description="赋能: share of projects contracted to social organizations (三社联动)"
    )
    service_focus: Annotated[
        Share, Param("share of effort", "seed002"), Label("服务重心", "service focus"),
        Control("guiwei", step=0.01),
    ] = Field(
        0.4, description="归位: σ, street office effort on public service (vs investment)"
    )
    admin_items: Annotated[
        int, Param("items", "seed000"), Label("行政事项", "administrative items"),
        Control("guiwei", low=0, high=600, step=1),
    ] = Field(
        537, ge=0, le=5000, description="归位: admin items pushed to each committee (537 → 69)"
    )
    incentive: Incentive = Field(Incentive(), description="incentive scheme")
    grid: Grid = Field(Grid(), description="grid outreach")
    party: Party = Field(Party(), description="party outreach")
    foundation: Annotated[
        bool, Param("switch", "seed004"), Label("社区基金会", "community foundation"),
        Control("funeng"),
    ] = Field(
        False, description="a community foundation collects donations, a city grant and social "
        "capital, and pays out a share each cycle (seeds 000, 004)"
    )
    foundation_match: Annotated[
        Share, ActiveWhen("policy.foundation", True), Param("share", "assumption"),
        Label("基金会配捐", "foundation match"),
    ] = Field(
        0.0, description="yuan the city adds per yuan residents donate to the foundation "
        "(配捐)")
    supervision: Annotated[
        bool, Param("switch", "seed000", "mof2020"), Label("清理僵尸组织", "supervision"),
    ] = Field(False, description="综合监管: zombie and problem (low-reputation) organizations "
              "cleared yearly and barred from purchase contracts (seed000), and only "
              "organizations qualified in a project's field may bid for it")
    incubation_rate: Annotated[
        NonNegative, Param("organizations/10,000 residents/year", "seed000", "assumption"),
        Label("孵化社会组织", "incubation"),
    ] = Field(
        0.5, description="new professional orgs per 10,000 residents per year"
    )
    schedule: Annotated[
        tuple[ScheduledChange, ...], Param("list of changes", "assumption"),
        Label("政策时间表", "policy schedule"),
    ] = Field((), description="policy changes mid-run")

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> Policy:
        policy, found = self.model_copy(update={"schedule": ()}), []
        for i, change in enumerate(self.schedule):
            at = ("schedule", i, "set")
            try:
                policy = apply_policy_changes(policy, change.set)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = tuple(err["loc"])
                    found.append(((*at, *_as_written(loc, change.set)),
                                  validation_message(err, Policy, loc)))
            except ScenarioError as exc:
                for problem in exc.located:
                    loc = tuple((problem.key or "").split("."))
                    found.append(((*at, *_as_written(loc, change.set)), problem.message))
        if found:
            raise NestedProblems(found)
        return self


def _as_written(loc: tuple, changes: Mapping[str, Any]) -> tuple:
    """``loc`` (a key path inside the policy) with its head as the scheduled change wrote it:
    ``("incentive", "scheme")`` → ``("incentive.scheme",)`` when the change wrote the dotted
    key, so that the line map finds the line."""
    for key in sorted(map(str, changes), key=len, reverse=True):
        parts = tuple(key.split("."))
        if len(parts) > 1 and loc[:len(parts)] == parts:
            return (key, *loc[len(parts):])
    return loc


# ------------------------------------------------------------------------------------ scenario
class Scenario(_Config):
    """A complete, validated scenario. Build with :meth:`load` or :meth:`from_dict`."""

    name: str = Field("unnamed", min_length=1)
    description: str = ""
    seed: Annotated[
        int, Param("seed", "assumption"), Label("随机种子", "seed"),
    ] = Field(0, ge=0, le=2**63 - 1, description="master seed of the run")
    months: Annotated[
        int, Param("months", "assumption"), Label("月数", "months"),
    ] = Field(60, ge=1, le=1200, description="horizon, months (五年 = 60)")
    structure: Structure = Structure()
    population: Population = Population()
    behavior: Behavior = Behavior()
    policy: Policy = Policy()

    # -- construction -------------------------------------------------------------------------
    @model_validator(mode="after")
    def _schedule_within_horizon(self) -> Scenario:
        late = [
            (("policy", "schedule", i, "month"),
             f"month {change.month} is after the horizon (months: {self.months}), so the change "
             f"would never take effect; drop it or run at least {change.month} months")
            for i, change in enumerate(self.policy.schedule) if change.month > self.months
        ]
        names, streets, _ = self.structure.community_names()
        known = {"community": set(names), "street_office": set(streets)}
        for i, change in enumerate(self.policy.schedule):
            if change.target is not None and change.target[1] not in known[change.target[0]]:
                kind, name = change.target
                pool = sorted(known[kind])
                hint = did_you_mean(name, pool)
                late.append((("policy", "schedule", i, kind),
                             f"no {kind.replace('_', ' ')} named '{name}'"
                             + (hint if hint else
                                f"; there are: {', '.join(pool[:20])}"
                                + (", …" if len(pool) > 20 else ""))))
        shares = self.population.age_shares.model_dump()
        for i, row in enumerate(self.structure.communities or ()):
            total = age_share_total(row.settings, shares)
            if abs(total - 1.0) > 1e-6:
                late.append((("structure", "communities", i, "settings"),
                             f"age shares must add up to 1, got {total:g}"))
        if late:
            raise NestedProblems(late)
        return self

    @classmethod
    def load(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
             origin: str | Mapping[str, str] = "--set") -> Scenario:
        """Read a scenario YAML file (following ``extends:``), apply ``overrides`` (dotted key
        paths → values, e.g. from ``--set`` and ``--months``) and validate the result once, so
        that rules across keys (a scheduled change within ``months``) are judged on what will
        run. ``origin`` labels the overrides in messages (one label, or one per key path).
        Raises ScenarioError with every problem located (file:line or the override's label)."""
        return load_located(path, overrides, origin)[0]

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], where: dict | None = None, source: str = "<dict>",
        replaced: Iterable[str] = (),
    ) -> Scenario:
        """Validate a plain mapping; ``where`` maps key paths to (file, line) for messages.

        ``data`` is merged into the defaults the way ``extends:`` merges files and ``--set``
        or a sweep sets a key (sections key by key, values and lists whole), so a file, an
        override and a sweep that name one key of a section (``population.trust.a``) keep the
        section's other defaults alike: one merge rule for every way a scenario is made.

        A table of communities (``structure.communities``: a path, relative to the file that
        names it, or a list of rows) is read and checked by :func:`sim.district.resolve`; the
        district-wide keys ``replaced`` (overrides: ``--set``, a sweep) replace the table's
        column of the same key. Every problem, of the table's cells and of the rest, is
        raised together."""
        from sim import district

        data = merge(copy.deepcopy(default_data()), dict(data))
        data.pop("extends", None)
        where = {} if where is None else where
        data, table_problems = district.resolve(data, where, source, replaced)
        try:
            scenario = cls.model_validate(data)
        except ValidationError as exc:
            problems = locate(exc, cls, where, source)
            if table_problems:  # the table's names are unknown: targets cannot be judged yet
                problems = [p for p in problems if not district.is_target_problem(p)]
            raise ScenarioError(table_problems + problems) from None
        if table_problems:
            raise ScenarioError(table_problems)
        return scenario

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "--set") -> Scenario:
        """A copy with dotted key paths replaced, e.g. ``{"policy.devolution": 0.8}``. A key
        of :data:`COMMUNITY_KEYS` replaces the table's column of it: the district-wide value
        then holds in every community."""
        data, where = overridden(self.model_dump(mode="python"), {}, overrides, origin)
        return Scenario.from_dict(data, where=where, source=origin, replaced=overrides)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every resolved value (for manifests)."""
        return self.model_dump(mode="json")


@cache
def default_data() -> dict[str, Any]:
    """Every default of the schema as plain data (do not mutate: copy first)."""
    return Scenario().model_dump(mode="python")


def load_located(path: str | Path, overrides: Mapping[str, Any] | None = None,
                 origin: str | Mapping[str, str] = "--set") -> tuple[Scenario, dict]:
    """:meth:`Scenario.load`, also returning where each key was set: key path → (file, line),
    or (override label, None); for located warnings such as ``sim.scenario.inert_settings``."""
    data, where = load_yaml_tree(Path(path))
    if overrides:
        data, where = overridden(data, where, overrides, origin)
    return Scenario.from_dict(data, where=where, source=str(path),
                              replaced=overrides or ()), where


def apply_policy_changes(policy: Policy, changes: Mapping[str, Any]) -> Policy:
    """Policy with ``changes`` (dotted paths or nested mappings) applied and re-validated."""
    data = policy.model_dump(mode="python")
    for path, value in changes.items():
        keys = tuple(str(path).split("."))
        if isinstance(value, Mapping) and isinstance(get_path(data, keys), dict):
            for sub, sub_value in flatten(value):
                set_path(data, keys + sub, sub_value)
        else:
            set_path(data, keys, value)
    return Policy.model_validate(data)


# ---------------------------------------------------------------------------- introspection
def model_class(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (None for a plain value)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def field_chain(cls: type[BaseModel], loc: tuple) -> list[FieldInfo] | None:
    """The FieldInfo of every key along ``loc`` inside model ``cls`` (None if ``loc`` is not a
    path of the model)."""
    model, chain = cls, []
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        chain.append(info)
        model = model_class(info.annotation)
    return chain


def field_at(cls: type[BaseModel], loc: tuple) -> FieldInfo | None:
    """The pydantic FieldInfo at ``loc`` inside model ``cls`` (None if not a model path)."""
    chain = field_chain(cls, loc)
    return chain[-1] if chain else None


def fields_at(cls: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed at ``loc`` (the fields of the model there; empty for a value)."""
    model = cls if not loc else model_class(getattr(field_at(cls, loc), "annotation", None))
    return list(model.model_fields) if model is not None else []


def bounds(cls: type[BaseModel], loc: tuple) -> tuple[float | None, float | None]:
    """(low, high) of the number at ``loc`` from its ``ge``/``gt``/``le``/``lt`` constraints
    (None where unbounded)."""
    info = field_at(cls, loc)
    low = high = None
    for meta in getattr(info, "metadata", []) if info is not None else []:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            low = getattr(meta, "ge", getattr(meta, "gt", None))
        if isinstance(meta, annotated_types.Le | annotated_types.Lt):
            high = getattr(meta, "le", getattr(meta, "lt", None))
    return low, high


def key_paths(cls: type[BaseModel] = None, prefix: str = "") -> list[str]:
    """Every leaf key path of a model (by default the scenario), in schema order."""
    cls = Scenario if cls is None else cls
    out = []
    for key, info in cls.model_fields.items():
        sub = model_class(info.annotation)
        out += key_paths(sub, f"{prefix}{key}.") if sub else [f"{prefix}{key}"]
    return out


def metadata(path: str | tuple, kind: type, cls: type[BaseModel] = None) -> Any:
    """The ``kind`` metadata (:class:`Param`, :class:`Label`, :class:`Control`,
    :class:`ActiveWhen`) declared on the key at ``path`` or, failing that, on the nearest
    container above it (a Beta field's unit holds for its ``a`` and ``b``); None if none."""
    keys = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
    chain = field_chain(Scenario if cls is None else cls, keys) or []
    for info in reversed(chain):
        for meta in info.metadata:
            if isinstance(meta, kind):
                return meta
    return None


def display_name(path: str) -> str:
    """How figures name a parameter: its English label and key path with its unit
    (``"devolution · policy.devolution (share)"``), or the key path and
    unit where no label is declared; the path alone for a key outside the schema (a test
    function's input). Chinese labels wait for a font that can draw them (issue 11)."""
    try:
        label, param = metadata(path, Label), metadata(path, Param)
    except (KeyError, TypeError, AttributeError):
        return path
    unit = f" ({param.unit})" if param is not None and param.unit else ""
    return f"{label.en} · {path}{unit}" if label is not None else f"{path}{unit}"


def parameters() -> Iterator[tuple[str, Param | None]]:
    """(key path, its :class:`Param`) for every parameter of the scenario (every leaf but the
    run's ``name`` and ``description``)."""
    for path in key_paths():
        if path not in ("name", "description"):
            yield path, metadata(path, Param)


def is_lever(path: str) -> bool:
    """A lever is a ``policy.*`` key (the levers of ODD §6.1 and their details)."""
    return path.startswith("policy.")


# ------------------------------------------------------------------------- located problems
class NestedProblems(ValueError):
    """Raised by a model validator that found problems below the value it checks: each
    (key path relative to the model, message) is placed by :func:`locate` at its own key
    path and line (a scheduled change at ``policy.schedule[i].set.x``), not at the validator's
    model. Structured, so that nothing has to parse the message back."""

    def __init__(self, found: list[tuple[tuple, str]]):
        self.found = list(found)
        super().__init__("\n".join(f"{dotted(loc)}: {msg}" for loc, msg in self.found))


def locate(exc: ValidationError, cls: type[BaseModel], where: Mapping,
           source: str) -> list[Problem]:
    """The problems of a pydantic ValidationError of model ``cls``, each placed at its file and
    line by the line map ``where`` (``source`` where the map knows no line)."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        nested = (err.get("ctx") or {}).get("error")
        if isinstance(nested, NestedProblems):
            problems += [problem_at((*loc, *sub), msg, where, source) for sub, msg in nested.found]
            continue
        for msg in validation_message(err, cls, loc).split("\n"):
            problems.append(problem_at(loc, msg, where, source))
    return problems


RETIRED: dict[str, str] = {
    "behavior.demand_per_contact": "residents' problems now arise whether or not anyone "
    "listens and contacts surface them (behavior.demands.arise_rate, "
    "behavior.demands.contact_surface; docs/ODD.md §7.7)",
    "behavior.demand_per_participant": "taking part surfaces one's open problem with "
    "behavior.demands.participant_surface (docs/ODD.md §7.7)",
    "behavior.initial_responsiveness": "there is no community responsiveness ratio any more: "
    "each resident remembers how their own problems went (docs/ODD.md §7.7)",
    "behavior.trust_responsiveness_weight": "trust relaxes to a personal target: "
    "behavior.trust_disposition_weight and behavior.trust_experience_weight (docs/ODD.md §7.2)",
    "policy.incentive.time_bank_value": "a time bank is valued in yuan: "
    "policy.incentive.hours_per_activity × policy.incentive.yuan_per_hour × "
    "behavior.incentives.time_bank_spent_share (docs/ODD.md §7.1)",
    "policy.incentive.recognition_value": "recognition multiplies the odds of taking part by "
    "1 + behavior.incentives.recognition_effect (docs/ODD.md §7.1)",
}
"""Keys a scenario could set before issue 9 whose mechanism was rebuilt: a file that sets one
is refused (a silently ignored lever would mislead) with what replaced it."""


def retired(key_path: str) -> str | None:
    """Why the dotted scenario key ``key_path`` is refused and what replaced it, if it is one of
    :data:`RETIRED` (None otherwise); for scenarios, scheduled changes (``set:`` keys are
    checked against ``policy``), experiment parameters and calibration priors alike."""
    reason = RETIRED.get(key_path)
    return f"'{key_path.rsplit('.', 1)[-1]}' was retired in issue 9: {reason}" if reason else None


def _retired_at(loc: tuple) -> str | None:
    """:func:`retired` for a pydantic error location from the scenario's root."""
    return retired(".".join(str(part) for part in loc))


def validation_message(err: Mapping, cls: type[BaseModel], loc: tuple) -> str:
    """One pydantic error in words: unknown keys with a "did you mean", ranges with both
    bounds, the value given."""
    kind, given = err["type"], err.get("input")
    if kind == "extra_forbidden":
        reason = _retired_at(("policy", *loc) if cls is Policy else loc)
        if reason:
            return reason
        options = fields_at(cls, loc[:-1])
        hint = did_you_mean(str(loc[-1]), options)
        if hint:
            return f"unknown key '{loc[-1]}'{hint}"
        return f"unknown key '{loc[-1]}'; allowed: {', '.join(options)}"
    if kind == "missing":
        return "is required"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        low, high = bounds(cls, loc)
        if low is not None and high is not None:
            return f"must be between {low:g} and {high:g}, got {given!r}"
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if kind not in {"value_error", "assertion_error"} and not isinstance(given, dict | list):
        msg += f", got {given!r}"
    return msg


# ------------------------------------------------------------------------ uneven districts
def _community_keys() -> tuple[str, ...]:
    return tuple(path for path in key_paths() if metadata(path, PerCommunity) is not None)


COMMUNITY_KEYS: tuple[str, ...] = _community_keys()
"""Key paths that may take their own value in each community (columns of a table of
communities, ``structure.communities``), read from the :class:`PerCommunity` marker on the
fields: population.migrant_share, party_share, the three age shares, low_income_share and
policy.fund_per_community."""


@cache
def key_bounds(key: str) -> tuple[float | None, float | None]:
    """:func:`bounds` of the scenario key path ``key`` (dotted), cached: a table of 10,000
    communities checks each of its cells against them."""
    return bounds(Scenario, tuple(key.split(".")))


def age_share_total(settings: Mapping[str, float], district: Mapping[str, float]) -> float:
    """The sum of a community's three age shares: its own where ``settings`` gives them (key
    paths ``population.age_shares.<group>``), else the district's (``district``: group →
    share)."""
    return sum(settings.get(f"population.age_shares.{group}", district[group])
               for group in AGE_GROUPS)
