"""Known-value tests of data_sources.chunked.region_industry_table."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from data_sources.chunked import region_industry_table

MAPPING = {"30301": "A", "02134": "B"}


def test_batches_with_different_dictionaries_add_up():
    # batch 1: A/x 5 + 2 (one ZIP+4), B/y 3 (ZIP "2134" lost its leading zero);
    # batch 2 sees the industries in the other order: A/y 4, B/x 1
    b1 = pa.table(
        {
            "postcode": ["30301", "30301-1234", "2134"],
            "industry_code": ["x", "x", "y"],
            "employees": [5, 2, 3],
        }
    )
    b2 = pa.record_batch(
        {
            "postcode": pa.array(["30301", "02134"]),
            "industry_code": pa.array(["y", "x"]),
            "employees": pa.array([4, 1]),
        }
    )
    table, stats = region_industry_table([b1, b2], MAPPING)
    assert table.to_dict("list") == {
        "region_id": ["A", "A", "B", "B"],
        "industry": ["x", "y", "x", "y"],
        "employees": [7, 4, 1, 3],
        "firms": [2, 1, 1, 1],
    }
    assert stats == {
        "rows": 5,
        "assigned": 5,
        "unknown_postcode": 0,
        "bad_employees": 0,
        "missing_industry": 0,
    }


def test_rejected_rows_are_counted_not_added():
    # one good row; then an unknown ZIP, a null ZIP, negative and null employees,
    # and a null industry: each counted once, under the first reason that applies
    b = pa.table(
        {
            "postcode": ["30301", "99999", None, "30301", "30301", "30301"],
            "industry_code": ["x", "x", "x", "x", "x", None],
            "employees": pa.array([5, 1, 1, -2, None, 3], type=pa.int64()),
        }
    )
    table, stats = region_industry_table([b], pd.Series(MAPPING))
    assert table["employees"].tolist() == [5, 0]  # A/x, B/x
    assert stats["assigned"] == 1
    assert stats["unknown_postcode"] == 2
    assert stats["bad_employees"] == 2
    assert stats["missing_industry"] == 1


def test_many_rows_equal_a_pandas_groupby():
    rng = np.random.default_rng(0)
    zips = np.array(["30301", "02134", "99999"])
    frame = pd.DataFrame(
        {
            "postcode": zips[rng.integers(0, 3, 5000)],
            "industry_code": rng.choice(["a", "b", "c"], 5000),
            "employees": rng.integers(0, 50, 5000),
        }
    )
    batches = [
        pa.Table.from_pandas(frame.iloc[i : i + 700], preserve_index=False)
        for i in range(0, 5000, 700)
    ]
    table, _ = region_industry_table(batches, MAPPING)
    known = frame[frame["postcode"] != "99999"].assign(
        region_id=lambda d: d["postcode"].map(MAPPING)
    )
    ref = known.groupby(["region_id", "industry_code"])["employees"].agg(
        ["sum", "size"]
    )
    got = table.set_index(["region_id", "industry"])
    assert got["employees"].tolist() == ref["sum"].tolist()
    assert got["firms"].tolist() == ref["size"].tolist()


def test_missing_column_raises():
    b = pa.table({"postcode": ["30301"], "employees": [1]})
    with pytest.raises(ValueError, match=r"lacks columns \['industry_code'\]"):
        region_industry_table([b], MAPPING)
