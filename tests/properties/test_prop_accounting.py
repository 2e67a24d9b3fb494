"""Properties of the indicators and the quarantine: LQ totals and row accounting."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.lq import location_quotients
from geo.registry import validate_registry

CODES = {"314110", "3141", "311615", "3116", "512110", "5121"}

# ------------------------------------------------------------------- LQ totals

cells = st.lists(
    st.tuples(
        st.sampled_from(["r1", "r2", "r3", "r4", "r5"]),
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=60, deadline=None)
@given(cells)
def test_employment_weighted_mean_lq_is_one(rows):
    # with the registry base, sum_r (E_r / E) * LQ_ri = sum_r e_ri / e_i = 1 for
    # every industry with employment, whatever the table
    table = pd.DataFrame(rows, columns=["region_id", "industry", "employees"])
    out = location_quotients(table)
    region_total = out.groupby("region_id")["employees"].transform("sum")
    total = out["employees"].sum()
    for industry, group in out.groupby("industry"):
        if group["employees"].sum() == 0:
            continue  # no employment: LQ undefined for every region
        weights = region_total[group.index] / total
        weighted = np.nansum(weights * group["lq"])
        assert weighted == np.float64(weighted)
        assert abs(weighted - 1.0) < 1e-9, (industry, weighted)


@settings(max_examples=40, deadline=None)
@given(cells)
def test_lq_is_non_negative_or_nan(rows):
    out = location_quotients(
        pd.DataFrame(rows, columns=["region_id", "industry", "employees"])
    )
    lq = out["lq"].to_numpy(dtype=float)
    assert ((lq >= 0) | np.isnan(lq)).all()
    assert len(out) == len(rows), "one LQ per input cell"


# -------------------------------------------------------------- row accounting

text = st.one_of(
    st.sampled_from(["", " ", "abc", "-1", "0", "12", "3.5", "1e3", "inf", "nan"]),
    st.text(max_size=6),
)
registry_rows = st.lists(
    st.fixed_dictionaries(
        {
            "firm_id": st.sampled_from(["", "a", "b", "c", "d", "e", " a "]),
            "industry_code": st.one_of(
                st.sampled_from(sorted(CODES) + ["31", "999999", ""]), text
            ),
            "employees": text,
            "founded": st.one_of(st.sampled_from(["", "1990", "2030", "1500"]), text),
            "closed": st.one_of(st.sampled_from(["", "1980", "2020"]), text),
            "lat": st.one_of(st.sampled_from(["", "34.7", "95"]), text),
            "lon": st.sampled_from(["", "-84.9", "x"]),
            "read_problem": st.sampled_from(["", "", "", "row: 2 fields"]),
        }
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(registry_rows)
def test_every_registry_row_is_validated_or_rejected_with_a_reason(rows):
    raw = pd.DataFrame(
        rows,
        columns=[
            "firm_id",
            "industry_code",
            "employees",
            "founded",
            "closed",
            "lat",
            "lon",
            "read_problem",
        ],
    )
    raw["source_row"] = range(1, len(raw) + 1)
    before = raw.copy()
    ok, bad = validate_registry(raw, valid_codes=CODES, level=4, year=2024)
    pd.testing.assert_frame_equal(raw, before)  # input not modified
    assert len(ok) + len(bad) == len(raw)
    assert sorted([*ok["source_row"], *bad["source_row"]]) == list(raw["source_row"])
    assert (bad["reason"].astype(str).str.strip() != "").all()
    # every validated row is clean: typed, a known industry, unique ids
    assert ok["firm_id"].is_unique
    assert ok["employees"].ge(0).all()
    assert set(ok["industry"]) <= {"3141", "3116", "5121"}
