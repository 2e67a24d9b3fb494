"""Location quotients (with confidence, smoothing), cluster strength, specialisation."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm


def _require_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it has {list(table.columns)[:10]}. "
            "Name the columns with the region=, industry=, value= arguments."
        )


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    """Return the grouping columns as a list: None -> [], "year" -> ["year"]."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _lookup(
    table: pd.DataFrame, series: pd.Series, keys: list[str], name: str
) -> pd.Series:
    """Look up ``series`` for every row of ``table`` by its ``keys`` columns."""
    if not isinstance(series, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series indexed by {keys}; got "
            f"{type(series).__name__}. Build it with .set_index({keys})[column]."
        )
    if series.index.nlevels != len(keys):
        raise ValueError(
            f"{name} is indexed by {series.index.nlevels} level(s) but the rows are "
            f"keyed by {keys}; index it by exactly these columns "
            f"(e.g. .set_index({keys})[column])."
        )
    if series.index.has_duplicates:
        dup = series.index[series.index.duplicated()].unique()[:5].tolist()
        raise ValueError(
            f"{name} has duplicate keys, first: {dup}; give one value per key."
        )
    if len(keys) == 1:
        return table[keys[0]].map(series)
    wanted = pd.MultiIndex.from_frame(table[keys])
    return pd.Series(series.reindex(wanted).to_numpy(), index=table.index)


def _lacking(table: pd.DataFrame, found: pd.Series, keys: list[str]) -> list:
    rows = table.loc[found.isna(), keys].drop_duplicates()
    if len(keys) == 1:
        return sorted(rows[keys[0]].tolist(), key=str)[:5]
    return [tuple(r) for r in rows.head(5).itertuples(index=False)]


def _checked_values(table: pd.DataFrame, value: str, keys: list[str]) -> pd.Series:
    values = pd.to_numeric(table[value], errors="coerce")
    bad = table[values.isna() | (values < 0)]
    if len(bad):
        raise ValueError(
            f"{value} must be non-negative numbers; {len(bad)} row(s) are not, first: "
            f"{bad[[*keys, value]].head(3).to_dict('records')}"
        )
    return values.astype(float)


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
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Location quotient of every industry in every region.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (region, industry) (and per ``by`` group). Not
        modified.
    region, industry : str
        Columns identifying the region and the industry.
    value : str
        Column with a non-negative count (employees, establishments, wages).
    region_totals : pandas.Series, optional
        The base ``E_r`` indexed by region id, e.g. total covered employment as the
        US BLS uses; default: the sum of ``value`` over the region's industries.
        With ``by``, indexed by ``(*by, region)``.
    reference_shares : pandas.Series, optional
        The reference economy's share ``e_i / E`` of each industry, indexed by
        industry (e.g. the nation's); default: the study area's own shares.
        With ``by``, indexed by ``(*by, industry)``.
    by : str or sequence of str, optional
        Columns (e.g. ``"year"`` or ``["year", "qtr"]``) within which LQs are
        computed separately: one independent computation per period.

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
    TypeError
        If ``region_totals`` or ``reference_shares`` is not a Series.

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
    groups = _by_list(by)
    _require_columns(table, [*groups, region, industry, value], "table")
    values = _checked_values(table, value, [*groups, region, industry])
    out = table.copy()
    if region_totals is None:
        totals = values.groupby([table[c] for c in [*groups, region]]).transform("sum")
    else:
        totals = _lookup(table, region_totals, [*groups, region], "region_totals")
        lacking = _lacking(table, totals, [*groups, region])
        if lacking:
            n = len(table.loc[totals.isna(), [*groups, region]].drop_duplicates())
            raise ValueError(
                f"region_totals has no base for {n} region(s), first: "
                f"{lacking}; give a total for every region"
            )
    if reference_shares is None:
        keys = [table[c] for c in [*groups, industry]]
        by_industry = values.groupby(keys).transform("sum")
        if groups:
            overall = values.groupby([table[c] for c in groups]).transform("sum")
        else:
            overall = pd.Series(values.sum(), index=table.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = by_industry / overall
    else:
        shares = _lookup(
            table, reference_shares, [*groups, industry], "reference_shares"
        )
        lacking = _lacking(table, shares, [*groups, industry])
        if lacking:
            n = len(table.loc[shares.isna(), [*groups, industry]].drop_duplicates())
            raise ValueError(
                f"reference_shares has no share for {n} industry(ies), "
                f"first: {lacking}; give a share for every industry"
            )
    totals = pd.to_numeric(totals).astype(float)
    shares = pd.to_numeric(shares).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (values / totals) / shares
    out["region_total"] = totals
    out["reference_share"] = shares
    out["lq"] = lq.where(totals > 0).astype(float)
    return out


def reference_shares_from_lq(
    table: pd.DataFrame,
    *,
    lq: str,
    region_totals: pd.Series,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    by: str | Sequence[str] | None = None,
    decimals: int = 2,
) -> pd.Series:
    """Infer the reference economy's industry shares from published, rounded LQs.

    When an agency publishes LQs for sub-areas (states, counties) but not the
    reference totals (e.g. the US-total file is missing), each published cell
    ``lq_ri`` rounded to ``decimals`` says the share ``s_i`` lies in
    ``[q / (lq + h), q / (lq - h)]`` with ``q = e_ri / E_r`` and ``h`` half a unit
    of the last decimal. The estimate is the middle of the intersection of these
    intervals over the sub-areas: as tight as the best-informed cells allow.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table of sub-areas with ``region``, ``industry``, ``value`` and the
        published ``lq`` column; rows with a missing LQ or a zero value are
        ignored. Not modified.
    lq : str
        Column with the published LQ.
    region_totals : pandas.Series
        The base ``E_r`` the agency used, indexed by region (by ``(*by, region)``
        with ``by``).
    by : str or sequence of str, optional
        Period columns; one set of shares per period.
    decimals : int
        Decimals the published LQs are rounded to (BLS: 2).

    Returns
    -------
    pandas.Series
        ``reference_share`` indexed by industry (``(*by, industry)`` with ``by``).

    Raises
    ------
    ValueError
        If a column or a base is missing, or ``decimals`` is negative.

    Warns
    -----
    UserWarning
        When the published LQs of an industry admit no common share at that
        rounding (the agency used other data); that industry falls back to the
        ratio estimate ``sum(q) / sum(lq)``.

    Examples
    --------
    >>> # true share .2: a has 10 of 100 (LQ .5), b 30 of 100 (LQ 1.5)
    >>> t = pd.DataFrame({"region_id": ["a", "b"], "industry": ["x", "x"],
    ...                   "employees": [10, 30], "lq": [0.5, 1.5]})
    >>> s = reference_shares_from_lq(t, lq="lq",
    ...     region_totals=pd.Series({"a": 100, "b": 100}))
    >>> round(float(s["x"]), 4)
    0.2
    """
    groups = _by_list(by)
    _require_columns(table, [*groups, region, industry, value, lq], "table")
    if decimals < 0:
        raise ValueError(f"decimals must be >= 0; got {decimals}.")
    half = 0.5 * 10.0 ** (-decimals)
    published = pd.to_numeric(table[lq], errors="coerce")
    values = pd.to_numeric(table[value], errors="coerce")
    used = table[published.notna() & (values > 0)]
    totals = _lookup(used, region_totals, [*groups, region], "region_totals")
    lacking = _lacking(used, totals, [*groups, region])
    if lacking:
        raise ValueError(
            f"region_totals has no base for region(s) {lacking}; give a total for "
            "every region with a published LQ"
        )
    q = values[used.index] / totals.astype(float)
    lqs = published[used.index]
    keys = [used[c] for c in [*groups, industry]]
    low = (q / (lqs + half)).groupby(keys).max()
    with np.errstate(divide="ignore", invalid="ignore"):
        high_each = (q / (lqs - half)).where(lqs > half, np.inf)
    high = high_each.groupby(keys).min()
    ratio = q.groupby(keys).sum() / lqs.groupby(keys).sum()
    consistent = (low <= high) & np.isfinite(high)
    estimate = ((low + high) / 2).where(consistent, ratio)
    inconsistent = (low > high).sum()
    if inconsistent:
        first = low.index[low > high][:5].tolist()
        warnings.warn(
            f"published LQs of {int(inconsistent)} industry group(s) admit no common "
            f"reference share at {decimals} decimals, first: {first}; used the ratio "
            "estimate sum(share)/sum(lq) for them",
            UserWarning,
            stacklevel=2,
        )
    estimate.name = "reference_share"
    return estimate


def lq_confidence_intervals(
    lq_table: pd.DataFrame,
    *,
    value: str = "employees",
    alpha: float = 0.05,
    reference_total: float | None = None,
    min_count: int = 5,
) -> pd.DataFrame:
    """Confidence interval of each LQ and a small-cell flag.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients` (``region_total``,
        ``reference_share``, ``lq``) with a count column ``value``. Not modified.
    value : str
        The count the LQ was computed from (employees or establishments; a sum
        of money is not a count and gets no meaningful interval).
    alpha : float
        Two-sided level: 0.05 gives a 95% interval.
    reference_total : float, optional
        Total ``E`` of the reference economy, to include the sampling variance of
        its counts ``e_i = share * E``; default: the reference shares are taken
        as exact (a nation against a county).
    min_count : int
        Cells with fewer than this many units are flagged ``small_cell``.

    Returns
    -------
    pandas.DataFrame
        The input rows plus ``lq_lower``, ``lq_upper`` (NaN where the count is 0),
        ``lq_significant`` (the interval excludes 1) and ``small_cell``.

    Raises
    ------
    ValueError
        If a column is missing, ``alpha`` is outside (0, 1) or ``min_count`` < 0.

    Notes
    -----
    Delta method on ``ln LQ`` (Moineddin, Beyene and Boyle 2003, Geographical
    Analysis 35): ``var = 1/e_ri - 1/E_r (+ 1/e_i - 1/E)``; the interval is
    ``LQ * exp(+-z * sqrt(var))``.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a"], "industry": ["x", "y"],
    ...                   "employees": [100, 300]})
    >>> lq = location_quotients(t, reference_shares=pd.Series({"x": .2, "y": .8}))
    >>> # x: LQ 1.25, var = 1/100 - 1/400 = .0075; 1.25 * exp(-1.96 * .0866)
    >>> lq_confidence_intervals(lq)["lq_lower"].round(3).tolist()
    [1.055, 0.886]
    """
    _require_columns(
        lq_table, [value, "lq", "region_total", "reference_share"], "lq_table"
    )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}. Use e.g. 0.05.")
    if min_count < 0:
        raise ValueError(f"min_count must be >= 0; got {min_count}.")
    count = pd.to_numeric(lq_table[value], errors="coerce").astype(float)
    base = lq_table["region_total"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = 1.0 / count - 1.0 / base
        if reference_total is not None:
            ref_count = lq_table["reference_share"].astype(float) * reference_total
            var = var + 1.0 / ref_count - 1.0 / float(reference_total)
    var = var.where(count > 0).clip(lower=0)
    z = float(norm.ppf(1 - alpha / 2))
    spread = np.exp(z * np.sqrt(var))
    out = lq_table.copy()
    out["lq_lower"] = lq_table["lq"] / spread
    out["lq_upper"] = lq_table["lq"] * spread
    out["lq_significant"] = (out["lq_lower"] > 1) | (out["lq_upper"] < 1)
    out["small_cell"] = count < min_count
    return out


def smoothed_location_quotients(
    lq_table: pd.DataFrame,
    *,
    industry: str = "industry",
    value: str = "employees",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Empirical-Bayes LQ: small regions' LQs shrunk towards the industry's mean.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients` with the count column ``value``.
        Not modified.
    industry, value : str
        Industry column and the count the LQ was computed from.
    by : str or sequence of str, optional
        Period columns; shrinkage within each period and industry.

    Returns
    -------
    pandas.DataFrame
        The input rows plus ``expected`` (``E_r * share``), ``eb_weight`` (0: fully
        shrunk, 1: raw LQ kept) and ``lq_eb``.

    Raises
    ------
    ValueError
        If a column is missing.

    Notes
    -----
    The LQ is the ratio of observed ``e`` to expected ``m = E_r s_i``, like a
    standardised mortality ratio, so Marshall's (1991) global Empirical Bayes
    applies per industry: prior mean ``b = sum e / sum m``, prior variance
    ``a = sum m (LQ - b)^2 / sum m - b / mean(m)`` (0 if negative), weight
    ``w = a / (a + b / m)``, ``lq_eb = b + w (LQ - b)``. This is
    ``esda.smoothing.Empirical_Bayes`` with ``a`` floored at 0.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "b", "c", "d"], "industry": ["x"] * 4,
    ...                   "employees": [2, 0, 80, 20]})
    >>> lq = location_quotients(t, reference_shares=pd.Series({"x": 0.1}),
    ...     region_totals=pd.Series({"a": 10, "b": 10, "c": 500, "d": 500}))
    >>> # m = 1, 1, 50, 50; b = 102/102 = 1; a = 38/102 - 1/25.5 = 1/3;
    >>> # w = a/(a + b/m): .25 for m = 1, .943 for m = 50; LQs 2, 0, 1.6, .4
    >>> smoothed_location_quotients(lq)["lq_eb"].round(3).tolist()
    [1.25, 0.75, 1.566, 0.434]
    """
    groups = _by_list(by)
    _require_columns(
        lq_table,
        [*groups, industry, value, "region_total", "reference_share", "lq"],
        "lq_table",
    )
    observed = pd.to_numeric(lq_table[value], errors="coerce").astype(float)
    expected = lq_table["region_total"].astype(float) * lq_table[
        "reference_share"
    ].astype(float)
    ok = (expected > 0) & observed.notna()
    e = observed.where(ok)
    m = expected.where(ok)
    keys = [lq_table[c] for c in [*groups, industry]]
    sum_e = e.groupby(keys).transform("sum")
    sum_m = m.groupby(keys).transform("sum")
    n = m.groupby(keys).transform("count")
    b = sum_e / sum_m
    rate = e / m
    spread = (m * (rate - b) ** 2).groupby(keys).transform("sum") / sum_m
    a = (spread - b / (sum_m / n)).clip(lower=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = (a / (a + b / m)).where(ok)
    weight = weight.where(~((a == 0) & ok), 0.0)
    out = lq_table.copy()
    out["expected"] = expected
    out["eb_weight"] = weight
    out["lq_eb"] = b + weight * (rate - b)
    return out


def _group_quantile(values: pd.Series, keys: list[pd.Series], q: float) -> pd.Series:
    return values.groupby(keys).transform(lambda s: s.quantile(q))


def star_ratings(
    lq_table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    size_quantile: float = 0.9,
    min_lq: float = 2.0,
    focus_quantile: float = 0.9,
    by: str | Sequence[str] | None = None,
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
    by : str or sequence of str, optional
        Period columns; regions are ranked within each period.

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
    groups = _by_list(by)
    _require_columns(
        lq_table, [*groups, region, industry, value, "lq", "region_total"], "lq_table"
    )
    employment = lq_table[value].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        focus = employment / lq_table["region_total"].astype(float)
    keys = [lq_table[c] for c in [*groups, industry]]
    size_cut = _group_quantile(employment, keys, size_quantile)
    focus_cut = _group_quantile(focus, keys, focus_quantile)
    size_star = (employment > 0) & (employment >= size_cut)
    spec_star = lq_table["lq"].fillna(0) >= min_lq
    focus_star = (focus.fillna(0) > 0) & (focus >= focus_cut)
    return (
        size_star.astype(int) + spec_star.astype(int) + focus_star.astype(int)
    ).rename("stars")


def strong_clusters(
    lq_table: pd.DataFrame,
    *,
    industry: str = "industry",
    value: str = "employees",
    top_share: float = 0.25,
    min_lq: float = 1.0,
    min_employment: float = 1,
    by: str | Sequence[str] | None = None,
) -> pd.Series:
    """US Cluster Mapping Project style strong clusters: top regions by specialisation.

    A region-industry (or region-cluster) is strong when its LQ is in the top
    ``top_share`` of regions for that industry, at least ``min_lq``, and the
    region has at least ``min_employment`` in it.

    Parameters
    ----------
    lq_table : pandas.DataFrame
        Output of :func:`location_quotients` (best aggregated to benchmark
        clusters with :func:`aggregate_to_clusters` first). Not modified.
    top_share : float
        Share of regions (0..1] counted as top; 0.25 = the top quartile.
    min_lq : float
        Minimum LQ (1: over-represented at all).
    min_employment : float
        Minimum ``value`` in the cell.
    by : str or sequence of str, optional
        Period columns; regions are ranked within each period.

    Returns
    -------
    pandas.Series
        Boolean ``strong_cluster`` aligned with ``lq_table``.

    Raises
    ------
    ValueError
        If a column is missing or ``top_share`` is outside (0, 1].

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": list("abcd") * 2,
    ...     "industry": ["x"] * 4 + ["y"] * 4,
    ...     "employees": [40, 10, 10, 10, 10, 30, 30, 30]})
    >>> # x: LQs 1.94, .61, .61, .61 -> a only; y: .34, 1.27 x 3 -> ties all count
    >>> strong_clusters(location_quotients(t)).tolist()
    [True, False, False, False, False, True, True, True]
    """
    groups = _by_list(by)
    _require_columns(lq_table, [*groups, industry, value, "lq"], "lq_table")
    if not 0 < top_share <= 1:
        raise ValueError(
            f"top_share must be in (0, 1]; got {top_share}. Use e.g. 0.25 for the "
            "top quartile."
        )
    lq = lq_table["lq"].astype(float)
    keys = [lq_table[c] for c in [*groups, industry]]
    cut = _group_quantile(lq, keys, 1 - top_share)
    employment = pd.to_numeric(lq_table[value], errors="coerce")
    strong = (
        (lq >= cut) & (lq >= min_lq) & (employment >= min_employment) & (employment > 0)
    )
    return strong.fillna(False).astype(bool).rename("strong_cluster")


def aggregate_to_clusters(
    table: pd.DataFrame,
    mapping: pd.Series,
    *,
    keys: Sequence[str] = ("region_id",),
    industry: str = "industry",
    values: Sequence[str] = ("employees",),
    cluster: str = "cluster",
) -> pd.DataFrame:
    """Sum industry rows into benchmark clusters (industries without one are left out).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table with ``keys`` (e.g. region, year), ``industry`` and ``values``.
        Not modified.
    mapping : pandas.Series
        Cluster of each industry, indexed by industry code (e.g. the NAICS-4 to
        benchmark cluster table in ``data_sources/reference``).
    keys : sequence of str
        Columns kept as they are.
    values : sequence of str
        Additive columns to sum.
    cluster : str
        Name of the output cluster column.

    Returns
    -------
    pandas.DataFrame
        ``keys``, ``cluster`` and the summed ``values``, sorted by keys and cluster.

    Raises
    ------
    ValueError
        If a column is missing or an industry maps to two clusters.
    TypeError
        If ``mapping`` is not a Series.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "a"],
    ...     "industry": ["3131", "3132", "7225"], "employees": [5, 7, 100]})
    >>> m = pd.Series({"3131": "Textile", "3132": "Textile"})
    >>> aggregate_to_clusters(t, m).to_dict("records")
    [{'region_id': 'a', 'cluster': 'Textile', 'employees': 12}]
    """
    keys = list(keys)
    values = list(values)
    _require_columns(table, [*keys, industry, *values], "table")
    if not isinstance(mapping, pd.Series):
        raise TypeError(
            f"mapping must be a pandas Series (industry -> cluster); got "
            f"{type(mapping).__name__}. Use e.g. frame.set_index('naics4')['cluster']."
        )
    if mapping.index.has_duplicates:
        dup = mapping.index[mapping.index.duplicated()].unique()[:5].tolist()
        raise ValueError(
            f"mapping gives more than one cluster for industry(ies) {dup}; keep one "
            "row per industry (e.g. only fit == 'whole')."
        )
    labelled = table.assign(**{cluster: table[industry].map(mapping)})
    labelled = labelled[labelled[cluster].notna()]
    out = labelled.groupby([*keys, cluster], as_index=False, sort=True)[values].sum()
    return out.reset_index(drop=True)


def specialisation_indices(
    table: pd.DataFrame,
    *,
    region: str = "region_id",
    industry: str = "industry",
    value: str = "employees",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Herfindahl-Hirschman and Krugman specialisation index of every region.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per (region, industry). Not modified.
    by : str or sequence of str, optional
        Period columns; one index per period and region.

    Returns
    -------
    pandas.DataFrame
        Indexed by region (``(*by, region)`` with ``by``): ``hhi`` = sum over
        industries of the squared shares of the region's employment (1 = one
        industry only); ``krugman`` = sum over industries of ``|s_ri - s_i|``, the
        region's shares against the study area's (0 = same structure, 2 =
        disjoint). NaN for regions without employment.

    Examples
    --------
    >>> t = pd.DataFrame({"region_id": ["a", "a", "b", "b"],
    ...                   "industry": ["x", "y", "x", "y"],
    ...                   "employees": [10, 30, 30, 30]})
    >>> # area shares x 0.4, y 0.6; a: .25/.75 -> hhi .0625+.5625, |.25-.4|+|.75-.6|
    >>> specialisation_indices(t).round(4).to_dict("index")
    {'a': {'hhi': 0.625, 'krugman': 0.3}, 'b': {'hhi': 0.5, 'krugman': 0.2}}
    """
    groups = _by_list(by)
    _require_columns(table, [*groups, region, industry, value], "table")
    if groups:
        parts = []
        for key, part in table.groupby(groups, sort=True):
            one = specialisation_indices(
                part, region=region, industry=industry, value=value
            )
            key = key if isinstance(key, tuple) else (key,)
            one.index = pd.MultiIndex.from_tuples(
                [(*key, r) for r in one.index], names=[*groups, region]
            )
            parts.append(one)
        return pd.concat(parts)
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


__all__ = [
    "aggregate_to_clusters",
    "employment_by_region_industry",
    "location_quotients",
    "lq_confidence_intervals",
    "reference_shares_from_lq",
    "smoothed_location_quotients",
    "specialisation_indices",
    "star_ratings",
    "strong_clusters",
]
