"""A fixed-seed run compared with the stored golden timeseries (STYLE.md habit 12).

Any change to the model's numbers fails here until ``python tests/golden/update.py`` rewrites
the golden file, so the change shows up as a reviewed diff rather than silent drift. The
tolerance (relative 1e-9) only absorbs floating-point noise between numpy builds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent / "golden"
spec = importlib.util.spec_from_file_location("golden_update", HERE / "update.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)


def test_teaching_run_matches_the_golden_timeseries():
    expected = pd.read_csv(golden.GOLDEN)
    actual = golden.golden_run()
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9, atol=1e-9)
