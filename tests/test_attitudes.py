"""sim/attitudes.py (MODEL.md §7.2, ODD §7.2 "Monthly"): one month of attitude updates applied
to the residents' arrays, called directly on a model's residents with their inputs set by hand.
The equations themselves are checked in test_behavior.py; these tests check that the monthly
update feeds each equation the input the ODD names (training at its yearly rate, one's own
participation, active party neighbours, length of residence)."""

from __future__ import annotations

import dataclasses

import numpy as np
from worlds import scenario

from sim import attitudes
from sim.model import CoGovModel


def _model(**policy) -> CoGovModel:
    return CoGovModel(scenario(months=12, structure={"residents_per_community": 4000}, **policy))


def _update(m: CoGovModel, rng_seed: int = 9, **drivers) -> None:
    """One month of ``attitudes.update_monthly`` with the model's drivers, some replaced."""
    d = dataclasses.replace(m._drivers(), **drivers)
    attitudes.update_monthly(m.residents, m.communities, m.layout.community, d,
                             np.random.default_rng(rng_seed), m.scenario.population.mobility)


def test_training_reaches_its_yearly_share_a_twelfth_each_month():
    # training_rate is a share a year: 0.06 trains 0.5% of residents a month; counted as the
    # residents whose efficacy rose with participation and relaxation switched off (all took
    # part; efficacy at baseline), over 40 months of 8,000 residents (±6% is over 4 SE)
    m = _model(training_rate=0.06)
    res = m.residents
    res.took_any[:] = True
    trained = 0
    for month in range(40):
        res.efficacy = res.baseline_efficacy.copy()
        _update(m, rng_seed=month)
        trained += int((res.efficacy > res.baseline_efficacy + 1e-12).sum())
    share = trained / (40 * len(res))
    assert abs(share / (0.06 / 12) - 1.0) < 0.06


def test_own_participation_holds_efficacy_up_and_its_absence_lets_it_relax():
    m = _model()
    res = m.residents
    took = np.arange(len(res)) % 2 == 0
    res.took_any[:] = took
    res.baseline_efficacy[:] = 0.3
    res.efficacy[:] = 0.9
    _update(m)
    assert np.all(res.efficacy[took] == 0.9)  # untrained participants keep what they have
    assert np.all(res.efficacy[~took] < 0.9 - 0.005)  # the rest relax toward 0.3


def test_active_party_neighbours_raise_public_spirit():
    # the last column of the drivers' neighbour shares is active party members: residents all
    # of whose neighbours are, and who did nothing themselves, gain at least 0.01 of public
    # spirit on those with none; the activity columns (all 0 here) play no part
    m = _model()
    res = m.residents
    res.took_any[:] = False
    res.public_spirit[:] = res.baseline_public_spirit = np.full(len(res), 0.4)
    exposed = np.arange(len(res)) % 2 == 0
    neighbours = np.zeros((len(res), 4))
    neighbours[exposed, -1] = 1.0
    _update(m, neighbours=neighbours)
    assert np.all(res.public_spirit[exposed] > 0.4 + 0.01)
    assert np.allclose(res.public_spirit[~exposed], 0.4)


def test_attachment_grows_with_length_of_residence_up_to_the_reference():
    # everything else equal, the attachment target rises with tenure until tenure_ref_years
    # and not beyond: 0 < half the reference < the reference = three times the reference
    m = _model()
    res = m.residents
    ref_months = int(12 * m.scenario.population.mobility.tenure_ref_years)
    group = np.arange(len(res)) % 4
    res.tenure[:] = np.choose(group, [0, ref_months // 2, ref_months, 3 * ref_months])
    res.attachment[:] = res.baseline_attachment = np.full(len(res), 0.3)
    res.engagement[:] = 0.2
    _update(m, degree=np.full(len(res), 3.0))
    by_group = [np.unique(res.attachment[group == g]) for g in range(4)]
    assert all(len(values) == 1 for values in by_group)  # equal inputs, equal results
    a0, half, full, triple = (float(values[0]) for values in by_group)
    assert half - a0 > 0.001 and full - half > 0.001
    assert triple == full
