"""The annual community-fund cycle with exact accounting (MODEL.md §7.3–7.5).

Cycle months (``CYCLE_MONTHS`` = 12): 1–2 proposals (两下三上), 3 vote and disclosure (民主议定,
公开), 4–11 implementation and monitoring (民主监督), 12 evaluation (民主评议). One
``CommunityFund`` per community holds its ledger; money is in yuan and every cycle closes with
``budget == spent + leaked + incentives + carried`` (checked, not assumed): ``incentives`` is
what the points mall paid from the reserve set aside at the vote (``sim.incentives``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CYCLE_MONTHS = 12
DELIBERATION_MONTHS = (1, 2, 3)
VOTE_MONTH = 3
IMPLEMENTATION_MONTHS = tuple(range(4, 12))
EVALUATION_MONTH = 12


def cycle_month(month: int) -> int:
    """Month of the fund cycle, 1..12, for run month 1, 2, …"""
    return (month - 1) % CYCLE_MONTHS + 1


CYCLE_KEYS: dict[str, tuple[int, ...]] = {
    "fund_per_community": DELIBERATION_MONTHS,
    "fund_growth": DELIBERATION_MONTHS,
    "purchase_share": (VOTE_MONTH,),
}
"""Policy keys read only in some months of the fund cycle → those cycle months: the yearly
fund (``sim.fund_cycle.yearly_fund``) is the deliberators' stake in months 1–3 and is paid in at
the vote; ``purchase_share`` decides the contracts let at the vote. A change of one of them
later in a cycle acts from the next cycle."""


def takes_effect(key: str, month: int) -> int:
    """The first run month (≥ ``month``) in which a policy change of ``key`` (a key of
    ``Policy``, top level) scheduled at ``month`` acts: ``month`` itself unless ``key`` is one
    of :data:`CYCLE_KEYS`, then the next month of the cycle that reads it."""
    acts = CYCLE_KEYS.get(key)
    if acts is None:
        return month
    return month + min((m - cycle_month(month)) % CYCLE_MONTHS for m in acts)


@dataclass
class Project:
    """A funded project. ``implementer`` has ``capacity`` in [0, 1] (an organization or office)."""

    community: int
    category: int
    cost: float  # yuan
    chosen_by: str  # "council" (residents) or "office" (street office, top-down or override)
    implementer: object = None
    capacity: float = 0.0
    spent: float = 0.0
    leaked: float = 0.0
    months_done: int = 0

    @property
    def leak_share(self) -> float:
        paid = self.spent + self.leaked
        return self.leaked / paid if paid > 0 else 0.0

    @property
    def quality(self) -> float:
        """q = implementer capacity · (1 − leakage) (§7.4)."""
        return self.capacity * (1.0 - self.leak_share)

    @property
    def delivered(self) -> bool:
        return self.months_done >= len(IMPLEMENTATION_MONTHS)


@dataclass
class CycleAccount:
    """One community's closed cycle, yuan."""

    year: int
    fund: float
    foundation_grant: float
    carried_in: float
    budget: float
    spent: float
    leaked: float
    carried_out: float
    incentives: float = 0.0  # yuan paid for redeemed points (ODD §7.1 "Incentives")

    @property
    def gap(self) -> float:
        """budget − (spent + leaked + incentives + carried out); zero up to rounding."""
        return self.budget - (self.spent + self.leaked + self.incentives + self.carried_out)


@dataclass
class CommunityFund:
    """Ledger, votes and projects of one community."""

    community: int
    carried: float = 0.0  # yuan carried into the next budget
    budget: float = 0.0
    fund: float = 0.0
    foundation_grant: float = 0.0
    carried_in: float = 0.0
    committed: float = 0.0
    spent: float = 0.0
    leaked: float = 0.0
    incentive_reserve: float = 0.0  # yuan set aside at the vote for redeemed points
    incentives: float = 0.0  # yuan of the reserve paid out this cycle
    votes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    projects: list[Project] = field(default_factory=list)
    history: list[CycleAccount] = field(default_factory=list)
    open_cycle: bool = False

    @property
    def running(self) -> bool:
        return any(not p.delivered for p in self.projects)

    @property
    def council_share(self) -> float:
        """Share of the cost of undelivered projects that the council chose (0 if none)."""
        running = [p for p in self.projects if not p.delivered]
        total = sum(p.cost for p in running)
        own = sum(p.cost for p in running if p.chosen_by == "council")
        return own / total if total > 0 else 0.0

    @property
    def unallocated(self) -> float:
        """Yuan held but neither committed to a project nor set aside for incentives (the
        carry-over before a vote)."""
        if self.open_cycle:
            return self.budget - self.committed - self.incentive_reserve
        return self.carried

    @property
    def available(self) -> float:
        """Yuan the vote can allocate to projects: the budget less the incentive reserve."""
        return self.budget - self.incentive_reserve

    def open(self, year: int, fund: float, foundation_grant: float) -> None:
        """Month 3: the budget = fund + foundation grant + carry-over."""
        self.fund, self.foundation_grant, self.carried_in = fund, foundation_grant, self.carried
        self.budget = fund + foundation_grant + self.carried
        self.carried = 0.0
        self.committed = self.spent = self.leaked = 0.0
        self.incentive_reserve = self.incentives = 0.0
        self.projects = []
        self.year = year
        self.open_cycle = True

    def set_aside(self, reserve: float) -> None:
        """Vote month, before projects: keep ``reserve`` yuan (at most the budget) for the points
        mall."""
        self.incentive_reserve = min(max(reserve, 0.0), self.budget)

    def pay_incentives(self, wanted: float) -> float:
        """Pay up to ``wanted`` yuan of redeemed points from what is left of the reserve while
        the cycle is open; returns the yuan paid (0 when the cycle is closed)."""
        if not self.open_cycle:
            return 0.0
        paid = min(wanted, self.incentive_reserve - self.incentives)
        self.incentives += paid
        return paid

    def commit(self, projects: list[Project]) -> None:
        self.projects = projects
        self.committed = sum(p.cost for p in projects)
        if self.committed > self.available + 1e-6:
            raise AssertionError(f"community {self.community}: committed beyond budget")

    def implement_month(self, leak_share: float) -> tuple[float, float, int]:
        """Pay one month of every running project; returns (spent, leaked, delivered now)."""
        spent = leaked = 0.0
        delivered = 0
        months = len(IMPLEMENTATION_MONTHS)
        for project in self.projects:
            if project.delivered:
                continue
            payment = project.cost / months
            loss = payment * leak_share
            project.spent += payment - loss
            project.leaked += loss
            project.months_done += 1
            spent += payment - loss
            leaked += loss
            delivered += project.delivered
        self.spent += spent
        self.leaked += leaked
        return spent, leaked, delivered

    def close(self) -> CycleAccount | None:
        """Month 12: what was not paid out is carried into the next cycle (None if no cycle
        was opened)."""
        if not self.open_cycle:
            return None
        self.carried = self.budget - self.spent - self.leaked - self.incentives
        account = CycleAccount(
            year=self.year, fund=self.fund, foundation_grant=self.foundation_grant,
            carried_in=self.carried_in, budget=self.budget, spent=self.spent,
            leaked=self.leaked, carried_out=self.carried, incentives=self.incentives,
        )
        self.history.append(account)
        self.open_cycle = False
        return account


def draw_candidates(
    n_categories: int, per_category: int, mean_cost: float, cv: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate projects: ``per_category`` in each category, cost lognormal with mean
    ``mean_cost`` yuan and coefficient of variation ``cv`` (no mass piles up near zero, unlike a
    Gamma with cv > 1)."""
    category = np.repeat(np.arange(n_categories), per_category)
    if cv == 0:
        return category, np.full(len(category), float(mean_cost))
    sigma2 = np.log1p(cv**2)
    cost = rng.lognormal(np.log(mean_cost) - sigma2 / 2, np.sqrt(sigma2), size=len(category))
    return category, cost


def greedy_pick(
    weights: np.ndarray, category: np.ndarray, cost: np.ndarray, taken: np.ndarray,
    funded: np.ndarray, budget: float,
) -> int | None:
    """Next project by weight / (1 + projects already funded in its category) among untaken
    candidates that fit the budget (cheapest first within a category); None if none fits."""
    fits = ~taken & (cost <= budget)
    if budget <= 0 or not fits.any() or weights.sum() <= 0:
        return None
    score = weights[category] / (1.0 + funded[category])
    score = np.where(fits, score, -np.inf)
    best = np.flatnonzero(score == score.max())
    return int(best[np.argmin(cost[best])])


def allocate(
    budget: float,
    votes: np.ndarray,
    office_preference: np.ndarray,
    devolution: float,
    override: float,
    category: np.ndarray,
    cost: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[int, str]]:
    """§7.3: the council allocates ``devolution`` of the budget by participants' votes; each of
    its choices is replaced with probability ``override`` by the office's preferred project; the
    office allocates the rest by its own preference. Returns (candidate index, chosen_by)."""
    k = len(votes)
    taken = np.zeros(len(cost), dtype=bool)
    funded = np.zeros(k)
    picks: list[tuple[int, str]] = []
    council_budget = devolution * budget if votes.sum() > 0 else 0.0
    office_budget = budget - council_budget
    while (j := greedy_pick(votes, category, cost, taken, funded, council_budget)) is not None:
        taken[j] = True
        who, pick = "council", j
        if rng.random() < override:
            # the office swaps in its showcase project, if one fits the freed money
            alt = greedy_pick(office_preference, category, cost, taken, funded,
                              council_budget)
            if alt is not None:
                taken[j] = False
                taken[alt] = True
                who, pick = "office", alt
        council_budget -= cost[pick]
        funded[category[pick]] += 1
        picks.append((pick, who))
    while (j := greedy_pick(office_preference, category, cost, taken, funded,
                            office_budget)) is not None:
        taken[j] = True
        office_budget -= cost[j]
        funded[category[j]] += 1
        picks.append((j, "office"))
    return picks


def category_service(
    projects: list[Project], n_categories: int, households: int, yuan_per_household: float
) -> np.ndarray:
    """met_k = 1 − Π_j (1 − q_j · coverage_j) over delivered projects in category k, with
    coverage_j = min(1, cost_j / (households · yuan per household served)): the share of the
    community's need in category k that is well served."""
    unmet = np.ones(n_categories)
    for p in projects:
        if p.delivered:
            coverage = min(1.0, p.cost / (households * yuan_per_household))
            unmet[p.category] *= 1.0 - p.quality * coverage
    return 1.0 - unmet


def category_quality(projects: list[Project], n_categories: int) -> np.ndarray:
    """Best delivered quality in each category (0 where nothing was delivered): what a voter
    whose top need is that category sees done (§7.2 efficacy)."""
    best = np.zeros(n_categories)
    for p in projects:
        if p.delivered:
            best[p.category] = max(best[p.category], p.quality)
    return best
