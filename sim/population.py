"""Residents as arrays, and their initial draws (MODEL.md §2 Resident table, §5).

One row per adult resident, ordered by community, then household, so that households,
buildings and grids are contiguous index ranges. All per-resident state lives here as numpy
arrays; ``sim.agents.Resident`` objects are views onto one row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.scenario import ACTIVITIES, AGE_GROUPS, CATEGORIES, Population, Structure

YOUTH, ADULT, ELDER = range(3)
NO_CONTACT = 10_000
"""Months-since-contact of a resident never contacted."""


@dataclass
class Layout:
    """Where everyone lives: community → household → building (grids come from policy)."""

    n_residents: int
    n_communities: int
    street_of_community: np.ndarray  # (C,) int
    community: np.ndarray  # (N,) int, community of each resident
    household: np.ndarray  # (N,) int, global household id
    building: np.ndarray  # (N,) int, global building id
    household_community: np.ndarray  # (H,) int
    household_local: np.ndarray  # (H,) int, household number inside its community
    household_start: np.ndarray  # (H,) int, first resident of each household
    community_start: np.ndarray  # (C,) int, first resident of each community
    community_size: np.ndarray  # (C,) int, residents per community
    households_per_community: np.ndarray  # (C,) int
    community_names: tuple[str, ...] = ()  # (C,) the table's names, or "<street>-<k>"
    street_names: tuple[str, ...] = ()  # (S,) the table's street offices, or "1".."S"

    @property
    def n_households(self) -> int:
        return len(self.household_start)


def build_layout(structure: Structure) -> Layout:
    """Deterministic layout: no randomness, so it is the same for every seed. Communities are
    the rows of ``structure.communities`` in order (their sizes and street offices, streets
    numbered in order of first appearance), or ``street_offices`` × ``communities_per_street``
    of ``residents_per_community`` adults each; residents are ordered by community, then
    household."""
    names, streets, street_of = structure.community_names()
    if structure.communities is None:
        per_comm = np.full(len(names), structure.residents_per_community, dtype=np.int64)
    else:
        per_comm = np.array([row.residents for row in structure.communities], dtype=np.int64)
    n_comm = len(per_comm)
    comm_start = np.concatenate([[0], np.cumsum(per_comm)[:-1]])
    n = int(per_comm.sum())
    community = np.repeat(np.arange(n_comm), per_comm)
    local = np.arange(n) - comm_start[community]
    local_household = np.floor(local / structure.adults_per_household).astype(np.int64)
    hh_per_comm = np.floor((per_comm - 1) / structure.adults_per_household).astype(np.int64) + 1
    hh_offset = np.concatenate([[0], np.cumsum(hh_per_comm)[:-1]])
    household = hh_offset[community] + local_household
    bld_per_comm = -(-hh_per_comm // structure.households_per_building)
    bld_offset = np.concatenate([[0], np.cumsum(bld_per_comm)[:-1]])
    building = bld_offset[community] + local_household // structure.households_per_building
    household_start = np.flatnonzero(np.diff(household, prepend=-1))
    household_community = community[household_start]
    return Layout(
        n_residents=n,
        n_communities=n_comm,
        street_of_community=np.asarray(street_of, dtype=np.int64),
        community=community,
        household=household,
        building=building,
        household_community=household_community,
        household_local=household[household_start] - hh_offset[household_community],
        household_start=household_start,
        community_start=comm_start,
        community_size=per_comm,
        households_per_community=hh_per_comm,
        community_names=names,
        street_names=streets,
    )


@dataclass(frozen=True)
class CommunityShares:
    """The population shares of each community (ODD §2.1 "Uneven districts"): the scenario's,
    or a table's own (``model.community_settings``). Arrays have one row per community."""

    migrant: np.ndarray  # (C,) share of households that are migrant households
    age: np.ndarray  # (C, 3) adults by age group (youth, adult, elder), rows sum to 1
    party: np.ndarray  # (C, 3) P(party member | age group)
    low_income: np.ndarray  # (C,) share of low-income households

    @classmethod
    def of(cls, pop: Population, settings: dict[str, np.ndarray] | None = None,
           n_communities: int = 1) -> CommunityShares:
        """The shares of ``settings`` (key path → (C,) values, as ``model.community_settings``)
        where it gives a key, else ``pop``'s in each of ``n_communities`` communities."""
        settings = settings or {}

        def values(key: str, default: float) -> np.ndarray:
            given = settings.get(f"population.{key}")
            return (np.asarray(given, dtype=float) if given is not None
                    else np.full(n_communities, default, dtype=float))

        age = np.column_stack([values(f"age_shares.{group}", getattr(pop.age_shares, group))
                               for group in AGE_GROUPS])
        party_share = values("party_share", pop.party_share)
        return cls(
            migrant=values("migrant_share", pop.migrant_share),
            age=age,
            party=party_probability(party_share, pop.party_elder_fraction, age[:, ELDER]),
            low_income=values("low_income_share", pop.low_income_share),
        )

    def with_migrant(self, migrant: np.ndarray) -> CommunityShares:
        """The same shares with another share of migrant households (households moving in)."""
        return CommunityShares(np.asarray(migrant, dtype=float), self.age, self.party,
                               self.low_income)


@dataclass
class Residents:
    """State of every adult resident (MODEL.md §2); shares and attitudes are in [0, 1]."""

    migrant: np.ndarray  # bool, 流动人口
    age_group: np.ndarray  # int8: 0 youth, 1 adult, 2 elder
    employed: np.ndarray  # bool
    care_duty: np.ndarray  # bool
    party: np.ndarray  # bool, party member
    needs: np.ndarray  # (N, K) float, rows on the simplex
    public_spirit: np.ndarray  # P
    efficacy: np.ndarray  # E
    trust: np.ndarray  # T
    dependency: np.ndarray  # D
    attachment: np.ndarray  # A
    satisfaction: np.ndarray  # S
    baseline_public_spirit: np.ndarray  # P0, what P relaxes to
    baseline_efficacy: np.ndarray  # E0
    baseline_attachment: np.ndarray  # A0
    propensity: np.ndarray  # u, persistent inclination in logit units (time, temperament)
    low_income: np.ndarray | None = None  # bool, low-income household (低保); None: nobody
    points: np.ndarray = field(init=False)  # points balance (积分), redeemed at the points mall
    credits: np.ndarray = field(init=False)  # time-bank hours that will be spent (时间银行)
    took: np.ndarray = field(init=False)  # (N, 3) bool: last month per activity
    took_any: np.ndarray = field(init=False)  # (N,) bool: took part in anything last month
    top_need: np.ndarray = field(init=False)  # (N,) int: category of the largest need
    need_intensity: np.ndarray = field(init=False)  # (N,) weight on the top need, [1/K, 1]
    months_since_contact: np.ndarray = field(init=False)  # int, months
    engagement: np.ndarray = field(init=False)  # EWMA of took_any, [0,1]
    voted: np.ndarray = field(init=False)  # bool, deliberated in this cycle's months 1–3
    needs_met: np.ndarray = field(init=False)  # need-weighted share served, [0,1]
    self_org: np.ndarray = field(init=False)  # int, self-organization slot or -1
    grid_worker: np.ndarray = field(init=False)  # bool
    tenure: np.ndarray = field(init=False)  # int, months lived in the community (§7.9)
    party_members: np.ndarray = field(init=False)  # int, indices of the party members
    baseline_trust: np.ndarray = field(init=False)  # T0, the disposition part of trust (§7.2)
    experience: np.ndarray = field(init=False)  # x, memory of one's problems solved or waiting
    problem_open: np.ndarray = field(init=False)  # bool, has an unresolved problem (§7.7)
    problem_heard: np.ndarray = field(init=False)  # bool, that problem has been surfaced
    problem_wait: np.ndarray = field(init=False)  # int, months it has been open
    contacted: np.ndarray = field(init=False)  # bool, household contacted this month
    grid_visited: np.ndarray = field(init=False)  # bool, of which by a grid worker

    DERIVED = ("party_members",)
    """Fields computed from the others over all residents (not one entry per resident)."""

    def __post_init__(self) -> None:
        n = len(self.migrant)
        self.points = np.zeros(n)
        self.credits = np.zeros(n)
        self.record_participation(np.zeros((n, len(ACTIVITIES)), dtype=bool))
        self.top_need = self.needs.argmax(axis=1)
        self.need_intensity = self.needs.max(axis=1)  # "how much one project matters to me"
        self.months_since_contact = np.full(n, NO_CONTACT, dtype=np.int64)
        self.engagement = np.zeros(n)
        self.voted = np.zeros(n, dtype=bool)
        self.needs_met = np.zeros(n)
        self.self_org = np.full(n, -1, dtype=np.int64)
        self.grid_worker = np.zeros(n, dtype=bool)
        self.tenure = np.zeros(n, dtype=np.int64)
        self.party_members = np.flatnonzero(self.party)
        if self.low_income is None:
            self.low_income = np.zeros(n, dtype=bool)
        self.baseline_trust = self.trust.copy()
        self.experience = self.trust.copy()  # before any problem, experience is what one trusts
        self.problem_open = np.zeros(n, dtype=bool)
        self.problem_heard = np.zeros(n, dtype=bool)
        self.problem_wait = np.zeros(n, dtype=np.int64)
        self.contacted = np.zeros(n, dtype=bool)
        self.grid_visited = np.zeros(n, dtype=bool)

    def __len__(self) -> int:
        return len(self.migrant)

    def end_month(self) -> None:
        """A month has passed since everyone's last contact."""
        self.months_since_contact += 1

    def replace_rows(self, rows: np.ndarray, fresh: Residents) -> None:
        """Residents ``rows`` are replaced by ``fresh`` (one row each, in order): every
        per-resident field is copied, whatever it is, and the derived fields recomputed."""
        for f in fields(self):
            if f.name not in self.DERIVED:
                getattr(self, f.name)[rows] = getattr(fresh, f.name)
        self.party_members = np.flatnonzero(self.party)

    def record_participation(self, took: np.ndarray) -> None:
        """Store this month's (N, 3) choices and the derived took_any (set both together)."""
        self.took = took
        self.took_any = took.any(axis=1)


def draw_residents(layout: Layout, pop: Population, rng: np.random.Generator,
                   shares: CommunityShares | None = None) -> Residents:
    """Initial draws of MODEL.md §2, with each community's ``shares`` (default: ``pop``'s
    everywhere). Migrant status is drawn per household."""
    if shares is None:
        shares = CommunityShares.of(pop, n_communities=layout.n_communities)
    return draw_households(layout.household, layout.n_households, pop, rng, shares,
                           layout.household_community)


def draw_households(household: np.ndarray, n_households: int, pop: Population,
                    rng: np.random.Generator, shares: CommunityShares | None = None,
                    community: np.ndarray | None = None) -> Residents:
    """Adults of ``n_households`` households drawn afresh from the population's distributions
    (MODEL.md §2): ``household`` (sorted, 0 … n_households − 1) is each adult's household,
    ``community`` (n_households,) each household's community, whose ``shares`` (migrant, age,
    party, low-income) it is drawn with; without them, ``pop``'s shares hold for every
    household. Used for the starting population and for households moving in (§7.9).

    The draws are those of a single population (``rng.choice`` with the age shares, one
    uniform per household or adult compared with a share) made with per-row probabilities, so
    a district whose communities all have the scenario's shares draws the same numbers as
    before communities could differ."""
    if shares is None or community is None:
        shares = shares if shares is not None else CommunityShares.of(pop)
        community = np.zeros(n_households, dtype=np.int64)
    n = len(household)
    migrant_household = rng.random(n_households) < shares.migrant[community]
    migrant = migrant_household[household]
    of = community[household]
    age = choose(shares.age, of, rng).astype(np.int8)
    employed = rng.random(n) < np.asarray(pop.employed.as_tuple())[age]
    care = rng.random(n) < np.asarray(pop.care_duty.as_tuple())[age]
    party = rng.random(n) < shares.party[of, age]

    needs = np.empty((n, len(CATEGORIES)))
    for g, group in enumerate(AGE_GROUPS):
        rows = age == g
        prior = getattr(pop.needs_prior, group).as_tuple()
        needs[rows] = rng.dirichlet(prior, size=int(rows.sum()))

    def beta(dist, size):
        return rng.beta(dist.a, dist.b, size=size)

    spirit = np.where(party, beta(pop.public_spirit_party, n), beta(pop.public_spirit, n))
    efficacy = beta(pop.efficacy, n)
    trust = beta(pop.trust, n)
    attachment = np.where(migrant, beta(pop.attachment_migrant, n), beta(pop.attachment_local, n))
    return Residents(
        migrant=migrant,
        age_group=age,
        employed=employed,
        care_duty=care,
        party=party,
        needs=needs,
        public_spirit=spirit,
        efficacy=efficacy,
        trust=trust,
        dependency=np.full(n, pop.dependency),
        attachment=attachment,
        satisfaction=np.full(n, pop.satisfaction),
        baseline_public_spirit=spirit.copy(),
        baseline_efficacy=efficacy.copy(),
        baseline_attachment=attachment.copy(),
        propensity=rng.normal(0.0, pop.propensity_sd, size=n),
        # drawn last, so the draws above are those of earlier versions for the same seed
        low_income=(rng.random(n_households) < shares.low_income[community])[household],
    )


def choose(p: np.ndarray, row: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One category per entry of ``row``, with the probabilities ``p[row]`` ((R, K) rows on
    the simplex): ``rng.choice(K, size, p=p[r])`` with a row of its own for each draw. It is
    what numpy's ``Generator.choice`` does (one uniform per draw, counted against the
    normalised cumulative probabilities), so with one row it gives the same numbers."""
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random(len(row))
    return (cdf[row] <= u[:, None]).sum(axis=1)


def party_probability(party_share: np.ndarray, elder_fraction: float,
                      elder_share: np.ndarray) -> np.ndarray:
    """(C, 3) P(party | age group) such that each community's ``party_share`` (C,) of adults
    are members and ``elder_fraction`` of its members are elders (party statistics bulletin
    2023: 28% aged ≥61), given its share of elders (C,); capped at 1."""
    party_share, elder_share = np.asarray(party_share, float), np.asarray(elder_share, float)
    rest = 1.0 - elder_share
    with np.errstate(divide="ignore", invalid="ignore"):
        p_elder = np.minimum(1.0, party_share * elder_fraction / elder_share)
        p_other = np.minimum(1.0, party_share * (1 - elder_fraction) / rest)
    p_other = np.where(rest != 0, p_other, 0.0)
    no_elders = elder_share <= 0
    p_elder = np.where(no_elders, party_share, p_elder)
    p_other = np.where(no_elders, party_share, p_other)
    return np.column_stack([p_other, p_other, p_elder])


def _party_probability(pop: Population) -> np.ndarray:
    """(3,) P(party | age group) of a population whose shares hold everywhere."""
    return party_probability(np.array([pop.party_share]), pop.party_elder_fraction,
                             np.array([pop.age_shares.elder]))[0]


def group_offsets(sorted_groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, size) of each group id in an array sorted by group."""
    size = np.bincount(sorted_groups, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    return start, size
