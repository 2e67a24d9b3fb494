"""Location quotients, cluster star ratings and regional specialisation indices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def _require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it has {list(table.columns)[:10]}. "
            "Name the columns with the region=, industry=, value= arguments."
        )


def employment_by_region_industry(
    firms: pd.DataFrame,
    *,
    regions: Sequence[str],
    industries: Sequence[str] | None = None,
    region: str = "region_id",
    industry: str = "industry",
    employees: str = "employees",
) -> pd.DataFrame:
    """Sum employees and count firms for every region and industry (zeros filled).

    Parameters
    ----------
    firms : pandas.DataFrame
        One row per firm with ``region``, ``industry`` and ``employees``. Firms whose
        region is missing are not counted (the caller reports them). Not modified.
    regions : sequence of str
        Every region of the study, so regions without firms appear with zeros.
    industries : sequence of str, optional
        Industries to keep; default: every industry present.

    Returns
    -------
    pandas.DataFrame
        ``region_id``, ``industry``, ``employees``, ``firms``; one row per region and
        industry, sorted by both.

    Examples
    --------
    >>> f = pd.DataFrame({"region_id": ["a", "a", "b"], "industry": ["x", "y", "x"],
    ...                   "employees": [10, 30, 30]})
    >>> employment_by_region_industry(f, regions=["a", "b", "c"]).query(
    ...     "region_id == 'c'")["employees"].tolist()
    [0, 0]
    """
    _require_columns(firms, [region, industry, employees], "firms")
    located = firms[firms[region].notna()]
    unknown = sorted(set(located[region]) - set(regions))
    if unknown:
        raise ValueError(
            f"{len(unknown)} firm region id(s) are not study regions, first: "
            f"{unknown[:5]}; assign firms to the study's regions first"
        )
    kept = industries if industries is not None else sorted(located[industry].unique())
    grid = pd.MultiIndex.from_product(
        [list(regions), list(kept)], names=["region_id", "industry"]
    )
    sums = (
        located.groupby([region, industry])[employees]
        .agg(["sum", "size"])
        .rename(columns={"sum": "employees", "size": "firms"})
    )
    sums.index = sums.index.set_names(["region_id", "industry"])
    table = sums.reindex(grid, fill_value=0).reset_index()
    table["employees"] = table["employees"].astype("int64")
    table["firms"] = table["firms"].astype("int64")
    return table.sort_values(["region_id", "industry"], ignore_index=True)


def location_quotients(
    table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    region_totals: pd.Series | None = None,
    reference_shares: pd.Series | None = None,
) -> pd.DataFrame:
    """Location quotient of every industry in every region.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (region, industry). Not modified.
    region, industry : str
        Columns identifying the region and the industry.
    value : str
        Column with a non-negative count (employees, establishments, wages).
    region_totals : pandas.Series, optional
        The base ``E_r`` indexed by region id, e.g. total covered employment as the
        US BLS uses; default: the sum of ``value`` over the region's industries.
    reference_shares : pandas.Series, optional
        The reference economy's share ``e_i / E`` of each industry, indexed by
        industry (e.g. the nation's); default: the study area's own shares.

    Returns
    -------
    pandas.DataFrame
        The input rows in input order, plus ``region_total``, ``reference_share`` and
        ``lq`` (dimensionless; NaN where the region total is zero).

    Raises
    ------
    ValueError
        If a column is missing, a value is negative, or a base or share is missing
        for a region or industry of the table.

    Notes
    -----
    ``lq = (e_ri / E_r) / (e_i / E)``: the industry's share of the region over its
    share of the reference economy.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "b", "b"],
    ...                   "industry": ["x", "y", "x", "y"],
    ...                   "employees": [10, 30, 30, 30]})
    >>> location_quotients(t)["lq"].round(3).tolist()
    [0.625, 1.25, 1.25, 0.833]
    """
    _require_columns(table, [region, industry, value], "table")
    values = pd.to_numeric(table[value], errors="coerce")
    bad = table[values.isna() | (values < 0)]
    if len(bad):
        raise ValueError(
            f"{value} must be non-negative numbers; {len(bad)} row(s) are not, first: "
            f"{bad[[region, industry, value]].head(3).to_dict('records')}"
        )
    out = table.copy()
    if region_totals is None:
        totals = values.groupby(table[region]).transform("sum")
    else:
        totals = table[region].map(region_totals)
        lacking = sorted(table.loc[totals.isna(), region].unique())
        if lacking:
            raise ValueError(
                f"region_totals has no base for {len(lacking)} region(s), first: "
                f"{lacking[:5]}; give a total for every region"
            )
    if reference_shares is None:
        by_industry = values.groupby(table[industry]).sum()
        shares = table[industry].map(by_industry / by_industry.sum())
    else:
        shares = table[industry].map(reference_shares)
        lacking = sorted(table.loc[shares.isna(), industry].unique())
        if lacking:
            raise ValueError(
                f"reference_shares has no share for {len(lacking)} industry(ies), "
                f"first: {lacking[:5]}; give a share for every industry"
            )
    totals = totals.astype(float)
    shares = shares.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (values / totals) / shares
    out["region_total"] = totals
    out["reference_share"] = shares
    out["lq"] = lq.where(totals > 0).astype(float)
    return out


def star_ratings(
    lq_table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    size_quantile: float = 0.9,
    min_lq: float = 2.0,
    focus_quantile: float = 0.9,
) -> pd.Series:
    """European Cluster Observatory stars (0..3) of every region and industry.

    One star each for size (the region is in the top 10% of regions by employment in
    the industry), specialisation (LQ >= 2) and focus (the industry's share of the
    region's employment is in the top 10% of regions for that industry).

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients`. Not modified.
    size_quantile, focus_quantile : float
        Quantile a region must reach (strictly above is not required: >=).
    min_lq : float
        Specialisation threshold.

    Returns
    -------
    pandas.Series
        Integer stars aligned with ``lq_table``.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": list("abcd") * 2,
    ...     "industry": ["x"] * 4 + ["y"] * 4,
    ...     "employees": [100, 1, 1, 1, 10, 10, 10, 10]})
    >>> star_ratings(location_quotients(t)).tolist()[:4]  # a: LQ 1.26 < 2, no 3rd star
    [2, 0, 0, 0]
    """
    _require_columns(
        lq_table, [region, industry, value, "lq", "region_total"], "lq_table"
    )
    employment = lq_table[value].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        focus = employment / lq_table["region_total"].astype(float)
    by_industry = lq_table[industry]
    size_cut = employment.groupby(by_industry).transform(
        lambda s: s.quantile(size_quantile)
    )
    focus_cut = focus.groupby(by_industry).transform(
        lambda s: s.quantile(focus_quantile)
    )
    size_star = (employment > 0) & (employment >= size_cut)
    spec_star = lq_table["lq"].fillna(0) >= min_lq
    focus_star = (focus.fillna(0) > 0) & (focus >= focus_cut)
    return (
        size_star.astype(int) + spec_star.astype(int) + focus_star.astype(int)
    ).rename("stars")


def specialisation_indices(
    table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
) -> pd.DataFrame:
    """Herfindahl-Hirschman and Krugman specialisation index of every region.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (region, industry). Not modified.

    Returns
    -------
    pandas.DataFrame
        Indexed by region: ``hhi`` = sum over industries of the squared shares of the
        region's employment (1 = one industry only); ``krugman`` = sum over
        industries of ``|s_ri - s_i|``, the region's shares against the study area's
        (0 = same structure, 2 = disjoint). NaN for regions without employment.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "b", "b"],
    ...                   "industry": ["x", "y", "x", "y"],
    ...                   "employees": [10, 30, 30, 30]})
    >>> # area shares x 0.4, y 0.6; a: .25/.75 -> hhi .0625+.5625, |.25-.4|+|.75-.6|
    >>> specialisation_indices(t).round(4).to_dict("index")
    {'a': {'hhi': 0.625, 'krugman': 0.3}, 'b': {'hhi': 0.5, 'krugman': 0.2}}
    """
    _require_columns(table, [region, industry, value], "table")
    wide = table.pivot_table(
        index=region, columns=industry, values=value, aggfunc="sum", fill_value=0
    ).astype(float)
    totals = wide.sum(axis=1)
    shares = wide.div(totals.where(totals > 0), axis=0)
    area_shares = wide.sum(axis=0) / wide.to_numpy().sum()
    out = pd.DataFrame(
        {
            "hhi": (shares**2).sum(axis=1, min_count=1),
            "krugman": (shares - area_shares).abs().sum(axis=1, min_count=1),
        }
    )
    out.index.name = region
    out.columns.name = None
    return out
