"""Matching region codes of statistics to boundaries, with a report of what differs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

# US county FIPS codes changed between the 2010 census vintage and 2017 (old -> new):
# Shannon County SD was renamed Oglala Lakota County (2015); Wade Hampton Census
# Area AK was renamed Kusilvak Census Area (2015); Bedford city VA was merged into
# Bedford County (2013).
US_COUNTY_FIPS_CHANGES_2010_2017: dict[str, str] = {
    "46113": "46102",
    "02270": "02158",
    "51515": "51019",
}
# QCEW pseudo-areas with no boundary: statewide (xx000) and unknown county (xx999).
QCEW_PSEUDO_AREAS = r"\d{2}(?:000|999)"


@dataclass(frozen=True)
class RegionCodeReport:
    """How the region codes of a statistics table meet those of the boundaries.

    Attributes
    ----------
    matched : tuple of str
        Codes present on both sides.
    recoded : dict of str to str
        Statistics code -> boundary code, for codes that match through a known
        change of code (either direction of ``changes``).
    pseudo : tuple of str
        Statistics codes of pseudo-areas that no boundary has (e.g. QCEW ``13999``).
    only_in_statistics : tuple of str
        Statistics codes with no boundary, not explained by a change or pattern.
    only_in_boundaries : tuple of str
        Boundary codes with no statistics.
    """

    matched: tuple[str, ...]
    recoded: dict[str, str] = field(default_factory=dict)
    pseudo: tuple[str, ...] = ()
    only_in_statistics: tuple[str, ...] = ()
    only_in_boundaries: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every code on either side found its partner."""
        return not self.only_in_statistics and not self.only_in_boundaries

    def to_frame(self) -> pd.DataFrame:
        """One row per code: ``code``, ``side``, ``status``, ``target``."""
        rows = [(c, "both", "matched", c) for c in self.matched]
        rows += [(c, "statistics", "recoded", t) for c, t in self.recoded.items()]
        rows += [(c, "statistics", "pseudo_area", "") for c in self.pseudo]
        rows += [(c, "statistics", "no_boundary", "") for c in self.only_in_statistics]
        rows += [
            (c, "boundaries", "no_statistics", "") for c in self.only_in_boundaries
        ]
        return pd.DataFrame(rows, columns=["code", "side", "status", "target"])

    def summary(self) -> str:
        """Describe the report in a few readable lines for logs and metadata."""

        def first(codes: Iterable[str]) -> str:
            codes = list(codes)
            more = f" (+{len(codes) - 10} more)" if len(codes) > 10 else ""
            return ", ".join(codes[:10]) + more

        lines = [f"{len(self.matched)} codes matched"]
        if self.recoded:
            pairs = [f"{a}->{b}" for a, b in self.recoded.items()]
            lines.append(f"{len(pairs)} matched through a code change: {first(pairs)}")
        if self.pseudo:
            lines.append(f"{len(self.pseudo)} pseudo-areas: {first(self.pseudo)}")
        if self.only_in_statistics:
            lines.append(
                f"{len(self.only_in_statistics)} statistics codes have no boundary: "
                f"{first(self.only_in_statistics)}"
            )
        if self.only_in_boundaries:
            lines.append(
                f"{len(self.only_in_boundaries)} boundary codes have no statistics: "
                f"{first(self.only_in_boundaries)}"
            )
        return "; ".join(lines)


def _codes(values: Iterable[object], width: int | None, name: str) -> list[str]:
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if not text:
            continue
        if width is not None and text.isdigit():
            if len(text) > width:
                raise ValueError(
                    f"{name} code {text!r} is longer than width={width}; give the "
                    "code width of the scheme (5 for US county FIPS) or None"
                )
            text = text.zfill(width)
        out.append(text)
    return sorted(set(out))


def match_region_codes(
    stat_codes: Iterable[object],
    boundary_codes: Iterable[object],
    *,
    changes: Mapping[str, str] | None = None,
    pseudo_pattern: str | None = None,
    width: int | None = None,
) -> RegionCodeReport:
    """Match the region codes of a statistics table to those of a boundary file.

    Parameters
    ----------
    stat_codes, boundary_codes : iterable
        Region codes on each side (text or numbers; repeats and blanks ignored).
        Not modified.
    changes : mapping of str to str, optional
        Known code changes, old -> new (e.g. ``US_COUNTY_FIPS_CHANGES_2010_2017``).
        A statistics code missing from the boundaries matches through a change in
        either direction when its partner is a boundary code.
    pseudo_pattern : str, optional
        Regular expression of statistics codes that are pseudo-areas with no
        boundary by design (e.g. ``QCEW_PSEUDO_AREAS``); they are listed apart.
    width : int, optional
        Left-pad all-digit codes with zeros to this width on both sides (numbers
        read from a spreadsheet lose them: ``1001`` -> ``01001``).

    Returns
    -------
    RegionCodeReport
        Matched, recoded, pseudo and unmatched codes on either side, sorted.

    Raises
    ------
    ValueError
        If a code is longer than ``width``.

    Examples
    --------
    >>> r = match_region_codes(["46113", "13001", "13999"], ["46102", "13001", "13003"],
    ...                        changes=US_COUNTY_FIPS_CHANGES_2010_2017,
    ...                        pseudo_pattern=QCEW_PSEUDO_AREAS)
    >>> r.matched, r.recoded, r.pseudo, r.only_in_boundaries
    (('13001',), {'46113': '46102'}, ('13999',), ('13003',))
    """
    stats = _codes(stat_codes, width, "statistics")
    bounds = _codes(boundary_codes, width, "boundary")
    bound_set = set(bounds)
    forward = dict(changes or {})
    backward: dict[str, str] = {}
    for old, new in forward.items():
        backward.setdefault(new, old)
    matched, recoded, pseudo, orphans = [], {}, [], []
    pattern = re.compile(pseudo_pattern) if pseudo_pattern else None
    for code in stats:
        if code in bound_set:
            matched.append(code)
        elif forward.get(code) in bound_set:
            recoded[code] = forward[code]
        elif backward.get(code) in bound_set:
            recoded[code] = backward[code]
        elif pattern is not None and pattern.fullmatch(code):
            pseudo.append(code)
        else:
            orphans.append(code)
    used = set(matched) | set(recoded.values())
    return RegionCodeReport(
        matched=tuple(matched),
        recoded=recoded,
        pseudo=tuple(pseudo),
        only_in_statistics=tuple(orphans),
        only_in_boundaries=tuple(c for c in bounds if c not in used),
    )


def apply_region_codes(
    codes: pd.Series, report: RegionCodeReport, *, width: int | None = None
) -> pd.Series:
    """Translate statistics region codes to boundary codes as a report matched them.

    Parameters
    ----------
    codes : pandas.Series
        Statistics region codes. Not modified.
    report : RegionCodeReport
        From :func:`match_region_codes` on the same codes.
    width : int, optional
        The same ``width`` as given to :func:`match_region_codes`.

    Returns
    -------
    pandas.Series
        Boundary codes aligned with ``codes``; missing where a code has no boundary
        (pseudo-areas and unmatched codes, which the report lists).

    Examples
    --------
    >>> r = match_region_codes(["46113", "13001"], ["46102", "13001"],
    ...                        changes=US_COUNTY_FIPS_CHANGES_2010_2017)
    >>> apply_region_codes(pd.Series(["46113", "13001", "99999"]), r).tolist()
    ['46102', '13001', nan]
    """
    text = codes.astype("string").str.strip()
    if width is not None:
        digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
        text = text.where(~digits, text.str.zfill(width))
    lookup = {c: c for c in report.matched} | dict(report.recoded)
    return text.astype(object).map(lookup)


def normalise_region_name(name: str) -> str:
    """Fold a region name for matching: case, ё/е, dashes, spaces, quotes.

    Examples
    --------
    >>> normalise_region_name("  Ханты-Мансийский автономный округ – Югра ")
    'ханты-мансийский автономный округ-югра'
    """
    text = str(name).strip().lower().replace("ё", "е")
    text = re.sub(r"[\"'«»]", "", text)
    text = re.sub(r"\s*[-‐‑‒–—]\s*", "-", text)
    return re.sub(r"\s+", " ", text)


def region_ids_from_names(
    names: pd.Series, aliases: Mapping[str, str | None]
) -> pd.Series:
    """Region ids of region names through a table of name variants.

    Parameters
    ----------
    names : pandas.Series
        Region names as published. Not modified.
    aliases : mapping of str to str or None
        Name variant -> region id; None marks a known name without a boundary of
        its own (e.g. an aggregate such as "Тюменская область" with its okrugs).
        Keys are compared after :func:`normalise_region_name`.

    Returns
    -------
    pandas.Series
        Region ids aligned with ``names``; missing for unknown names and for names
        mapped to None (tell them apart with ``names.map(normalise_region_name)``).

    Examples
    --------
    >>> region_ids_from_names(pd.Series(["Пермский  край", "Марс"]),
    ...                       {"Пермский край": "RU-PER"}).tolist()
    ['RU-PER', nan]
    """
    folded = {normalise_region_name(k): v for k, v in aliases.items()}
    keys = names.astype(object).map(normalise_region_name, na_action="ignore")
    return (
        keys.map(lambda k: folded.get(k) if isinstance(k, str) else None)
        .astype(object)
        .where(lambda s: s.notna(), float("nan"))
    )
