"""Industry concentration (locational Gini, Ellison-Glaeser), shift-share, change."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from geo.lq import _by_list, _checked_values, _lookup, _require_columns


def locational_gini(
    table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    region_totals: pd.Series | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Locational Gini coefficient of every industry (Krugman 1991).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (region, industry); regions without the industry
        may be absent or zero. Not modified.
    region, industry, value : str
        Columns of region, industry and a non-negative count.
    region_totals : pandas.Series, optional
        Each region's total employment (all industries), indexed by region
        (``(*by, region)`` with ``by``); default: the sum of ``value`` over the
        table's industries. Every region in it counts, with or without the
        industry.
    by : str or sequence of str, optional
        Period columns; one coefficient per period and industry.

    Returns
    -------
    pandas.DataFrame
        Indexed by industry (``(*by, industry)`` with ``by``): ``gini`` (0 = the
        industry is spread like total employment; the maximum ``1 - x_min`` is
        reached when it sits in one region), ``regions`` (number with the
        industry) and ``value``'s total.

    Raises
    ------
    ValueError
        If a column is missing, a value is negative, a region lacks a total or an
        industry exceeds its region's total.

    Notes
    -----
    Regions are sorted by ``s_ri / x_r`` (the industry's share in the region over
    the region's share of all employment, i.e. the LQ); with cumulative shares
    ``X`` of total and ``Y`` of the industry, ``G = 1 - sum (X_k - X_k-1)
    (Y_k + Y_k-1)``: twice the area between the diagonal and the Lorenz curve.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "b", "c"] * 2,
    ...     "industry": ["x"] * 3 + ["y"] * 3, "employees": [0, 0, 30, 50, 50, 20]})
    >>> # totals 50, 50, 50: x sits in c alone -> 1 - 1/3; y: LQ 1.25, 1.25, .5
    >>> locational_gini(t)["gini"].round(4).to_dict()
    {'x': 0.6667, 'y': 0.1667}
    """
    groups = _by_list(by)
    _require_columns(table, [*groups, region, industry, value], "table")
    values = _checked_values(table, value, [*groups, region, industry])
    cells = (
        table[[*groups, region, industry]]
        .assign(_v=values)
        .groupby([*groups, region, industry], as_index=False, sort=False)["_v"]
        .sum()
    )
    if region_totals is None:
        totals = cells.groupby([*groups, region])["_v"].sum()
    else:
        totals = region_totals.astype(float)
        if totals.index.nlevels != len(groups) + 1:
            raise ValueError(
                f"region_totals must be indexed by {[*groups, region]}; it has "
                f"{totals.index.nlevels} level(s)"
            )
        found = _lookup(cells, totals, [*groups, region], "region_totals")
        if found.isna().any():
            lacking = cells.loc[found.isna(), region].unique()[:5].tolist()
            raise ValueError(
                f"region_totals has no total for region(s) {lacking}; give one for "
                "every region of the table"
            )
        over = cells[cells["_v"] > found + 1e-9]
        if len(over):
            raise ValueError(
                f"{len(over)} cell(s) exceed their region's total, first: "
                f"{over.head(3).to_dict('records')}; region_totals must cover every "
                "industry"
            )
    totals = totals[totals > 0]
    totals.index = totals.index.set_names([*groups, region])
    # one row per region x industry (zeros included) so every region sits on the curve
    industries = cells[[*groups, industry]].drop_duplicates()
    frame = totals.rename("_t").reset_index()
    grid = (
        frame.merge(industries, on=groups, how="inner")
        if groups
        else frame.merge(industries, how="cross")
    )
    grid = grid.merge(cells, on=[*groups, region, industry], how="left")
    grid["_v"] = grid["_v"].fillna(0.0)
    period_total = grid.groupby([*groups, industry])["_t"].transform("sum")
    ind_total = grid.groupby([*groups, industry])["_v"].transform("sum")
    grid["_x"] = grid["_t"] / period_total
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["_s"] = grid["_v"] / ind_total
    grid["_ratio"] = grid["_s"] / grid["_x"]
    grid = grid.sort_values([*groups, industry, "_ratio"], kind="mergesort")
    keys = [*groups, industry]
    cum_s = grid.groupby(keys)["_s"].cumsum()
    grid["_term"] = grid["_x"] * (2 * cum_s - grid["_s"])
    out = grid.groupby(keys).agg(
        _area=("_term", "sum"),
        regions=("_v", lambda v: int((v > 0).sum())),
        total=("_v", "sum"),
    )
    out["gini"] = (1 - out["_area"]).where(out["total"] > 0)
    out = out[["gini", "regions", "total"]].rename(columns={"total": value})
    return out


def ellison_glaeser(
    firms: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    employees: str = "employees",
    region_totals: pd.Series | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Ellison-Glaeser (1997) agglomeration index gamma of every industry.

    Parameters
    ----------
    firms : pandas.DataFrame
        One row per plant or firm with ``region``, ``industry`` and
        ``employees``; rows without a region are left out. Not modified.
    region, industry, employees : str
        Column names.
    region_totals : pandas.Series, optional
        Total employment of every region, indexed by region (``(*by, region)``
        with ``by``); default: the employees of all firms in the table, by region.
        Regions in it without any firm still count.
    by : str or sequence of str, optional
        Period columns; one index per period and industry.

    Returns
    -------
    pandas.DataFrame
        Indexed by industry (``(*by, industry)``): ``firms``, ``employees``,
        ``raw_concentration`` (G), ``plant_herfindahl`` (H) and ``eg_gamma``
        (NaN where H = 1, i.e. one firm holds all jobs).

    Raises
    ------
    ValueError
        If a column is missing, employees are negative or a firm's region has no
        total.

    Notes
    -----
    With ``s_r`` the region's share of the industry's employment, ``x_r`` its
    share of all employment and ``z_j`` each firm's share of the industry:
    ``G = sum_r (s_r - x_r)^2``, ``H = sum_j z_j^2`` and
    ``gamma = (G / (1 - sum_r x_r^2) - H) / (1 - H)``. About 0 means no more
    concentrated than random location of the same plants; EG call > 0.05 highly
    concentrated and < 0.02 not very concentrated.

    Examples
    --------
    >>> f = pd.DataFrame({"region_id": ["a", "a", "b", "a", "b"],
    ...     "industry": ["x", "x", "y", "y", "y"], "employees": [10, 10, 20, 10, 10]})
    >>> # x_a = x_b = .5. x: 2 equal firms in a: G = .5, G/(1-.5) = 1, H = .5 -> 1;
    >>> # y: s = .25, .75: G = .125 -> .25; H = .25 + 2 * .0625 = .375 -> -.2
    >>> ellison_glaeser(f)["eg_gamma"].round(4).to_dict()
    {'x': 1.0, 'y': -0.2}
    """
    groups = _by_list(by)
    _require_columns(firms, [*groups, region, industry, employees], "firms")
    located = firms[firms[region].notna()]
    jobs = _checked_values(located, employees, [*groups, region, industry])
    located = located[[*groups, region, industry]].assign(_e=jobs)
    if region_totals is None:
        totals = located.groupby([*groups, region])["_e"].sum()
    else:
        totals = region_totals.astype(float)
        found = _lookup(located, totals, [*groups, region], "region_totals")
        if found.isna().any():
            lacking = located.loc[found.isna(), region].unique()[:5].tolist()
            raise ValueError(
                f"region_totals has no total for firm region(s) {lacking}; give one "
                "for every region with firms"
            )
    totals.index = totals.index.set_names([*groups, region])
    x = totals / (
        totals.groupby(level=groups).transform("sum") if groups else totals.sum()
    )
    sum_x2 = (x**2).groupby(level=groups).sum() if groups else float((x**2).sum())
    keys = [*groups, industry]
    ind_jobs = located.groupby(keys)["_e"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = located["_e"] / ind_jobs
    per = located.assign(_z2=z**2)
    summary = per.groupby(keys).agg(
        firms=("_e", "size"), employees=("_e", "sum"), plant_herfindahl=("_z2", "sum")
    )
    cells = located.groupby([*groups, region, industry], as_index=False)["_e"].sum()
    cells["_s"] = cells["_e"] / cells.groupby(keys)["_e"].transform("sum")
    cells["_x"] = _lookup(cells, x, [*groups, region], "region shares")
    # G = sum over regions with the industry of (s^2 - 2 s x), plus sum of all x^2
    cells["_part"] = cells["_s"] ** 2 - 2 * cells["_s"] * cells["_x"]
    part = cells.groupby(keys)["_part"].sum()
    if groups:
        base = pd.Series(
            sum_x2.reindex(
                pd.MultiIndex.from_frame(part.index.to_frame()[groups])
                if len(groups) > 1
                else part.index.get_level_values(groups[0])
            ).to_numpy(),
            index=part.index,
        )
    else:
        base = pd.Series(sum_x2, index=part.index)
    summary["raw_concentration"] = part + base
    h = summary["plant_herfindahl"]
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (summary["raw_concentration"] / (1 - base) - h) / (1 - h)
    summary["eg_gamma"] = gamma.where((h < 1) & (summary["employees"] > 0))
    summary.loc[
        summary["employees"] <= 0, ["raw_concentration", "plant_herfindahl"]
    ] = np.nan
    return summary[
        ["firms", "employees", "raw_concentration", "plant_herfindahl", "eg_gamma"]
    ]


def shift_share(
    table: pd.DataFrame,
    *,
    start: Hashable,
    end: Hashable,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    year: str = "year",
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classic shift-share decomposition of each region-industry's change.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table with ``region``, ``industry``, ``year`` and ``value``; a cell
        absent in one year counts as 0. Not modified.
    start, end : hashable
        The two values of ``year`` to compare.
    reference : pandas.DataFrame, optional
        The reference economy (e.g. the nation) as a long table with ``industry``,
        ``year`` and ``value`` over *all* its industries; default: the table
        summed over its regions.

    Returns
    -------
    pandas.DataFrame
        One row per region and industry: ``start_value``, ``end_value``,
        ``change`` = ``national_growth`` + ``industry_mix`` + ``regional_shift``.

    Raises
    ------
    ValueError
        If a column or year is missing, a value is negative, or the reference
        lacks an industry or has a zero start value for one the regions hold.

    Notes
    -----
    With ``G`` the reference's total growth rate and ``g_i`` the industry's:
    national growth ``e0 G``, industry mix ``e0 (g_i - G)``, regional (competitive)
    shift ``e1 - e0 (1 + g_i)``, which is ``e0 (r_i - g_i)`` for the region's own
    growth rate ``r_i``.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "b", "b"] * 2,
    ...     "industry": ["x", "y"] * 4, "year": [0] * 4 + [1] * 4,
    ...     "employees": [10, 30, 30, 30, 20, 30, 30, 40]})
    >>> # G = 120/100 - 1 = .2, g_x = 50/40 - 1 = .25: a-x 10 -> 20 is 2 + .5 + 7.5
    >>> parts = ["national_growth", "industry_mix", "regional_shift"]
    >>> shift_share(t, start=0, end=1)[parts].iloc[0].round(6).tolist()
    [2.0, 0.5, 7.5]
    """
    _require_columns(table, [region, industry, year, value], "table")
    values = _checked_values(table, value, [region, industry, year])
    present = set(table[year].unique())
    for name, when in (("start", start), ("end", end)):
        if when not in present:
            raise ValueError(
                f"{name} year {when!r} is not in column {year!r}; it has "
                f"{sorted(present, key=str)[:10]}"
            )
    data = table[[region, industry, year]].assign(_v=values)
    wide = data[data[year].isin([start, end])].pivot_table(
        index=[region, industry], columns=year, values="_v", aggfunc="sum"
    )
    wide = wide.reindex(columns=[start, end]).fillna(0.0)
    e0 = wide[start]
    e1 = wide[end]
    if reference is None:
        ref = data.groupby([industry, year])["_v"].sum()
    else:
        _require_columns(reference, [industry, year, value], "reference")
        ref_values = _checked_values(reference, value, [industry, year])
        ref = (
            reference[[industry, year]]
            .assign(_v=ref_values)
            .groupby([industry, year])["_v"]
            .sum()
        )
    ref = ref.unstack(year).reindex(columns=[start, end]).fillna(0.0)
    total_growth = ref[end].sum() / ref[start].sum() - 1
    industries = wide.index.get_level_values(industry)
    missing = sorted(set(industries) - set(ref.index), key=str)
    if missing:
        raise ValueError(
            f"reference lacks industry(ies) {missing[:5]}; give the reference's "
            f"{value} for every industry of the table in both years"
        )
    held = e0.groupby(level=industry).sum()
    zero_start = [
        i for i in ref.index[ref[start] <= 0] if i in held.index and held[i] > 0
    ]
    if zero_start:
        raise ValueError(
            f"reference has no {value} in {start!r} for industry(ies) "
            f"{sorted(zero_start, key=str)[:5]}, so its growth rate is undefined"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (ref[end] / ref[start] - 1).reindex(industries).to_numpy()
    g = np.where(e0.to_numpy() > 0, g, 0.0)
    out = pd.DataFrame(index=wide.index)
    out["start_value"] = e0
    out["end_value"] = e1
    out["change"] = e1 - e0
    out["national_growth"] = e0 * total_growth
    out["industry_mix"] = e0 * (g - total_growth)
    out["regional_shift"] = out["change"] - out["national_growth"] - out["industry_mix"]
    out.columns.name = None
    return out.reset_index()


def change_between_years(
    table: pd.DataFrame,
    *,
    keys: Sequence[str],
    values: Sequence[str],
    year: str = "year",
    base_year: Hashable | None = None,
) -> pd.DataFrame:
    """Absolute and percent change of indicators between years, per key.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table with one row per ``keys`` and ``year`` (e.g. the output of
        :func:`geo.lq.location_quotients` with ``by="year"``). Not modified.
    keys : sequence of str
        Columns identifying a series (e.g. ``["region_id", "industry"]``).
    values : sequence of str
        Numeric columns whose change is wanted (e.g. ``["lq", "employees"]``).
    year : str
        The period column; its values must sort in time order.
    base_year : hashable, optional
        Compare every year with this one; default: with the previous year present
        for the same key.

    Returns
    -------
    pandas.DataFrame
        The input rows plus ``<value>_change`` and ``<value>_pct_change`` (percent;
        NaN for the first year, a missing earlier value or an earlier 0).

    Raises
    ------
    ValueError
        If a column is missing, a key has two rows in one year, or ``base_year``
        is not in the table.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "a"], "year": [2020, 2021, 2022],
    ...                   "lq": [1.0, 1.5, 1.2]})
    >>> out = change_between_years(t, keys=["region_id"], values=["lq"])
    >>> out["lq_change"].round(2).tolist(), out["lq_pct_change"].round(1).tolist()
    ([nan, 0.5, -0.3], [nan, 50.0, -20.0])
    """
    keys = list(keys)
    values = list(values)
    _require_columns(table, [*keys, year, *values], "table")
    doubled = table.duplicated([*keys, year], keep=False)
    if doubled.any():
        first = table.loc[doubled, [*keys, year]].head(3).to_dict("records")
        raise ValueError(
            f"{int(doubled.sum())} rows share a key and year, first: {first}; "
            "aggregate to one row per key and year first"
        )
    out = table.copy()
    numbers = table[values].apply(pd.to_numeric, errors="coerce").astype(float)
    if base_year is not None:
        if base_year not in set(table[year]):
            raise ValueError(
                f"base_year {base_year!r} is not in column {year!r}; it has "
                f"{sorted(set(table[year]), key=str)[:10]}"
            )
        at_base = table[year] == base_year
        base = numbers[at_base].set_index(
            pd.MultiIndex.from_frame(table.loc[at_base, keys])
            if len(keys) > 1
            else table.loc[at_base, keys[0]]
        )
        earlier = pd.DataFrame(
            {v: _lookup(table, base[v], keys, "base") for v in values},
            index=table.index,
        )
    else:
        order = table.sort_values([*keys, year], kind="mergesort").index
        earlier = (
            numbers.loc[order].groupby([table.loc[order, k] for k in keys]).shift(1)
        ).reindex(table.index)
    for v in values:
        change = numbers[v] - earlier[v]
        out[f"{v}_change"] = change
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{v}_pct_change"] = (100 * change / earlier[v]).where(earlier[v] != 0)
    return out
