"""Registry to region x industry table in bounded memory, streaming Arrow batches.

A shortcut for a postcode-only table (no validation, one geocoding tier); the real
firm-level chain (validation, every tier, point in polygon, outputs) at any size is
:mod:`data_sources.firm_engine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.geocode import normalise_postcode

# Why Arrow batches and not pandas: a registry of 10 million firms read into pandas
# holds 10 million Python strings per text column (several GB, and slow to build);
# streaming Parquet row groups as Arrow record batches keeps one batch in memory,
# and dictionary-encoding a batch's postcode and industry columns reduces the
# geocoding join and the industry lookup to the few tens of thousands of distinct
# values, mapped back to rows with one integer gather. The aggregation is a numpy
# bincount of region x industry keys (faster than a pandas groupby, polars or
# DuckDB at this size: see PERFORMANCE-NOTES.md); DuckDB and polars are not
# project dependencies.


def region_industry_table(
    batches: Iterable[pa.RecordBatch | pa.Table],
    postcode_region: Mapping[str, str] | pd.Series,
    *,
    postcode: str = "postcode",
    industry: str = "industry_code",
    employees: str = "employees",
    country: str = "US",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Employees and firms per region and industry from a stream of registry batches.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch or pyarrow.Table
        The registry, chunk by chunk (e.g. ``pyarrow.parquet.ParquetFile.
        iter_batches``), with the postcode, industry and employee columns.
    postcode_region : mapping or pandas.Series
        Normalised postcode -> ``region_id`` (the postcode tier of geocoding with
        the point-in-polygon assignment, computed once per distinct postcode).
    postcode, industry, employees : str
        Column names in the batches.
    country : str
        Postcode format (see :func:`geo.geocode.normalise_postcode`).

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        Long table ``region_id``, ``industry``, ``employees``, ``firms`` with every
        region of ``postcode_region`` x every industry seen (zeros filled), sorted
        by region then industry; and counts ``rows``, ``assigned``,
        ``unknown_postcode``, ``bad_employees`` (null or negative) and
        ``missing_industry``; rows of the last three are not counted.

    Raises
    ------
    ValueError
        If a batch lacks one of the columns.

    Examples
    --------
    Three firms, two at ZIP 30301 (region A, one with a ZIP+4), one at an
    unknown ZIP: A gets 2 firms and 5 + 2 employees in industry x.

    >>> import pyarrow as pa
    >>> b = pa.table({"postcode": ["30301", "30301-1234", "99999"],
    ...               "industry_code": ["x", "x", "y"], "employees": [5, 2, 1]})
    >>> t, stats = region_industry_table([b], {"30301": "A"})
    >>> t.to_dict("list"), stats["unknown_postcode"]
    ({'region_id': ['A', 'A'], 'industry': ['x', 'y'], 'employees': [7, 0], \
'firms': [2, 0]}, 1)
    """
    mapping = pd.Series(postcode_region, dtype=object).astype(str)
    region_ids = pd.Index(sorted(set(mapping)))
    known = pd.Index(mapping.index.astype(str))
    row_of_known = np.append(region_ids.get_indexer(mapping), -1)  # -1: unknown
    industry_index: dict[object, int] = {}
    emp = np.zeros((len(region_ids), 0), dtype=np.int64)
    firms = np.zeros((len(region_ids), 0), dtype=np.int64)
    stats = {
        "rows": 0,
        "assigned": 0,
        "unknown_postcode": 0,
        "bad_employees": 0,
        "missing_industry": 0,
    }
    for batch in batches:
        missing = [
            c for c in (postcode, industry, employees) if c not in batch.schema.names
        ]
        if missing:
            raise ValueError(
                f"registry batch lacks columns {missing}; it has "
                f"{batch.schema.names[:10]}. Pass postcode=, industry=, employees=."
            )
        stats["rows"] += batch.num_rows
        reg = _postcode_rows(batch.column(postcode), known, row_of_known, country)
        ind = _codes(batch.column(industry), industry_index)

        n_emp = pc.fill_null(pc.cast(batch.column(employees), pa.int64()), -1)
        e = np.asarray(n_emp.to_numpy(zero_copy_only=False))
        bad = e < 0
        unknown = (reg < 0) & ~bad
        no_ind = (ind < 0) & ~bad & ~unknown
        stats["bad_employees"] += int(bad.sum())
        stats["unknown_postcode"] += int(unknown.sum())
        stats["missing_industry"] += int(no_ind.sum())
        ok = ~(bad | unknown | no_ind)
        stats["assigned"] += int(ok.sum())
        n_ind = len(industry_index)
        if n_ind > emp.shape[1]:
            grow = n_ind - emp.shape[1]
            emp = np.pad(emp, ((0, 0), (0, grow)))
            firms = np.pad(firms, ((0, 0), (0, grow)))
        key = reg[ok].astype(np.int64) * n_ind + ind[ok]
        size = len(region_ids) * n_ind
        emp += (
            np.bincount(key, weights=e[ok], minlength=size)
            .reshape(-1, n_ind)
            .astype(np.int64)
        )
        firms += np.bincount(key, minlength=size).reshape(-1, n_ind)
    names = np.array(list(industry_index), dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    n_reg, n_ind = emp.shape
    table = pd.DataFrame(
        {
            "region_id": np.repeat(region_ids.to_numpy(dtype=object), n_ind),
            "industry": np.tile(names[order], n_reg),
            "employees": emp[:, order].reshape(-1),
            "firms": firms[:, order].reshape(-1),
        }
    )
    return table, stats


_PATTERNS = {"US": (r"^\d{5}(-\d{4})?$", 5), "RU": (r"^\d{6}$", 6)}


def _postcode_rows(
    column: pa.ChunkedArray | pa.Array,
    known: pd.Index,
    row_of_known: np.ndarray,
    country: str,
) -> np.ndarray:
    """Region row per firm (-1 unknown), normalising each distinct postcode once.

    Postcodes already in canonical form (``30301``, ``30301-1234``) are cut with
    Arrow string kernels; the rest go through :func:`normalise_postcode`.
    """
    text = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(text)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    pattern, width = _PATTERNS.get(country.upper(), (None, 0))
    out = []
    for arr in chunks:
        values = arr.dictionary
        if pattern is not None:
            plain = pc.fill_null(pc.match_substring_regex(values, pattern), False)
            plain = plain.to_numpy(zero_copy_only=False)
            cut = pc.utf8_slice_codeunits(values, 0, width)
            codes = np.asarray(cut.to_numpy(zero_copy_only=False), dtype=object)
        else:
            plain = np.zeros(len(values), dtype=bool)
            codes = np.empty(len(values), dtype=object)
        rest = np.flatnonzero(~plain)
        if len(rest):
            raw = values.take(pa.array(rest)).to_pylist()
            codes[rest] = [normalise_postcode(v, country=country) for v in raw]
        lut = np.append(row_of_known[known.get_indexer(codes)], -1)  # last: null
        idx = pc.fill_null(arr.indices, len(values)).to_numpy(zero_copy_only=False)
        out.append(lut[idx])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _codes(column: pa.ChunkedArray | pa.Array, cache: dict) -> np.ndarray:
    """Integer code per row; distinct values are numbered once (dictionary codes)."""
    encoded = pc.dictionary_encode(column)
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    out = []
    for arr in chunks:
        values = arr.dictionary.to_pylist()
        lut = np.empty(len(values) + 1, dtype=np.int64)
        for k, v in enumerate(values):
            if v not in cache:
                cache[v] = len(cache)
            lut[k] = cache[v]
        lut[-1] = -1  # null rows
        idx = pc.fill_null(arr.indices, len(values)).to_numpy(zero_copy_only=False)
        out.append(lut[idx])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)
