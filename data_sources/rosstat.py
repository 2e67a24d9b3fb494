"""Rosstat tables: organisations by region x OKVED2 item, as published, to a long table.

The published layout (Rosstat "Количество организаций по данным государственной
регистрации", exported to CSV): title rows; a header row with one column per year
and a row of reference dates under it; then data rows of ownership, region name,
OKVED2 item *name* (indented by level: none for a section, 4 spaces for a division,
8 for a group, 12 for a class) and one count per year. Item names are matched to
codes through the OKVED2 classifier, which the user names (it is not bundled).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from data_sources.classification import REFERENCE, read_code_table
from geo.region_codes import normalise_region_name, region_ids_from_names

INDENT_LEVELS = {0: "section", 4: "division", 8: "group", 12: "class"}
LEVEL_DEPTH = {"section": 1, "division": 2, "group": 3, "class": 4}
TOTAL_CODE = "TOTAL"
# Published names of the all-activities row (normalised by _fold).
TOTAL_NAMES = ("всего по обследуемым видам экономической деятельности", "всего")
SUPPRESSED_MARKS = ("…", "...")  # Rosstat: confidential cell
NONE_MARKS = ("-", "–", "—")  # Rosstat: no such event, i.e. zero
LONG_COLUMNS = [
    "source_row",
    "ownership",
    "region_name",
    "okved",
    "okved_level",
    "okved_name",
    "year",
    "organisations",
    "suppressed",
]


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("ё", "е"))


def _open_text(path: Path, encoding: str) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: cannot be read as {encoding!r} ({exc.reason} at byte "
            f"{exc.start}); Rosstat exports are often 'cp1251': set encoding"
        ) from None


def _name_index(classifier: pd.DataFrame) -> dict[str, dict[int, str]]:
    index: dict[str, dict[int, str]] = {}
    for code, title, level in classifier[["code", "title", "level"]].itertuples(
        index=False
    ):
        index.setdefault(_fold(title), {}).setdefault(int(level), code)
    return index


def read_rosstat_org_counts(
    path: str | Path,
    *,
    classifier: str | Path | pd.DataFrame,
    encoding: str = "utf-8",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the Rosstat organisations-by-region-and-OKVED2 table as a long table.

    Parameters
    ----------
    path : str or pathlib.Path
        The published CSV (may be gzipped).
    classifier : str, pathlib.Path or pandas.DataFrame
        The OKVED2 classifier: a file for
        ``data_sources.classification.read_code_table`` (columns ``group``,
        ``code``, ``name``) or a frame with ``code``, ``title``, ``level``.
    encoding : str
        Text encoding of the file (``"utf-8"``; older exports ``"cp1251"``).

    Returns
    -------
    table : pandas.DataFrame
        One row per published cell: ``source_row`` (1-based line in the file),
        ``ownership``, ``region_name`` (as published, stripped), ``okved`` (code;
        a letter for sections; ``"TOTAL"`` for the all-activities row),
        ``okved_level`` (``section``, ``division``, ``group``, ``class``, ``total``),
        ``okved_name``, ``year`` (int), ``organisations`` (Int64; missing where
        suppressed) and ``suppressed`` (bool, cell marked confidential). Empty cells
        (years not published for an item) are not rows; ``attrs["empty_cells"]``
        counts them.
    rejected : pandas.DataFrame
        ``source_row``, ``region_name``, ``okved_name``, ``reason`` for data rows
        that could not be read (unknown item name, bad count, wrong column count).

    Raises
    ------
    ValueError
        If the file is missing, cannot be decoded, or has no header row of years.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "counts.csv")
    >>> _ = open(path, "w", encoding="utf-8").write(
    ...     '"Title",,,,\\n,,,2019,2020\\n,,,на 1 октября,на 1 октября\\n'
    ...     'ВСЕГО,  Пермский край,ОБРАЗОВАНИЕ,10,12\\n'
    ...     'ВСЕГО,  Пермский край,    Образование,10,…\\n')
    >>> okved = pd.DataFrame({"code": ["P", "85"], "title": ["ОБРАЗОВАНИЕ",
    ...                       "Образование"], "level": [1, 2]})
    >>> table, rejected = read_rosstat_org_counts(path, classifier=okved)
    >>> table[["okved", "year", "organisations"]].values.tolist()
    [['P', 2019, 10], ['P', 2020, 12], ['85', 2019, 10], ['85', 2020, <NA>]]
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"statistics.path: file not found: {path}")
    if isinstance(classifier, pd.DataFrame):
        codes = classifier
    else:
        codes = read_code_table(classifier, scheme="okved")
    names = _name_index(codes)
    rows = list(csv.reader(io.StringIO(_open_text(path, encoding))))
    header_at, years = None, []
    for number, row in enumerate(rows):
        cells = [c.strip() for c in row[3:]]
        if (
            cells
            and all(re.fullmatch(r"(19|20)\d\d", c) for c in cells if c)
            and any(cells)
        ):
            header_at, years = number, cells
            break
    if header_at is None:
        raise ValueError(
            f"{path}: no header row with one column per year (e.g. ',,,2019,2020') "
            "was found; is this the Rosstat organisations-by-region-and-OKVED2 table?"
        )
    records, rejected, empty = [], [], 0
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if len(row) < 3 or not row[1].strip():
            continue  # reference-date row, blank rows, footnotes
        ownership, region, item = row[0].strip(), row[1].strip(), row[2]
        name = item.strip()

        def reject(
            reason: str, *, line: int = number, r: str = region, n: str = name
        ) -> None:
            rejected.append((line, r, n, reason))

        if len(row) != 3 + len(years):
            reject(
                f"row has {len(row)} columns, the header {3 + len(years)}; check "
                "the delimiter and quoting"
            )
            continue
        indent = len(item) - len(item.lstrip(" "))
        if _fold(name) in TOTAL_NAMES:
            code, level = TOTAL_CODE, "total"
        else:
            level = INDENT_LEVELS.get(indent)
            found = names.get(_fold(name), {})
            code = found.get(LEVEL_DEPTH[level]) if level else None
            if code is None and len(found) == 1:
                ((depth, code),) = found.items()
                level = {v: k for k, v in LEVEL_DEPTH.items()}.get(depth, "detail")
            if code is None:
                shown = (
                    f"{len(found)} codes {sorted(found.values())}"
                    if found
                    else ("no code")
                )
                reject(
                    f"okved: item {name!r} (indent {indent}) has {shown} in the OKVED2 "
                    "classifier at that level; check the classifier edition"
                )
                continue
        cells, blank, bad = [], 0, None
        for year, cell in zip(years, row[3:], strict=True):
            value = cell.strip().replace("\u00a0", "").replace(" ", "")
            if not year:
                continue
            if value == "":
                blank += 1
                continue
            suppressed = value in SUPPRESSED_MARKS
            count: int | None = 0 if value in NONE_MARKS else None
            if not suppressed and count is None:
                if not value.isdigit():
                    bad = (
                        f"organisations: {value!r} for {year} is not a whole number, "
                        "'…' (confidential) or '-' (none)"
                    )
                    break
                count = int(value)
            cells.append((int(year), count, suppressed))
        if bad is not None:
            reject(bad)
            continue
        empty += blank
        records.extend(
            (number, ownership, region, code, level, name, *cell) for cell in cells
        )
    table = pd.DataFrame(records, columns=LONG_COLUMNS)
    table["organisations"] = table["organisations"].astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    table.attrs["empty_cells"] = empty
    rejected_frame = pd.DataFrame(
        rejected, columns=["source_row", "region_name", "okved_name", "reason"]
    )
    return table, rejected_frame


@cache
def _subjects() -> pd.DataFrame:
    return pd.read_csv(
        REFERENCE / "ru_federal_subjects.csv", dtype=str, keep_default_na=False
    )


def rosstat_region_aliases() -> dict[str, str | None]:
    """Rosstat region names -> ISO 3166-2 codes of the federal subjects.

    Official names and Rosstat's own forms map to the subject's code. The two
    aggregates that Rosstat publishes beside their parts ("Архангельская область"
    with the Nenets okrug, "Тюменская область" with the Khanty-Mansi and Yamal-Nenets
    okrugs) map to None: their parts are rows of their own ("... (кроме ...)").

    Returns
    -------
    dict
        Name -> code or None, from ``reference/ru_federal_subjects.csv`` (the 85
        subjects with ISO 3166-2 codes and FNS region codes; Crimea and Sevastopol
        carry their ISO codes UA-43 and UA-40).

    Examples
    --------
    >>> aliases = rosstat_region_aliases()
    >>> aliases["Пермский край"], aliases["Тюменская область"]
    ('RU-PER', None)
    """
    table = _subjects()
    out: dict[str, str | None] = {}
    for name, code, kind in table[["name", "iso_3166_2", "kind"]].itertuples(
        index=False
    ):
        out[name] = None if kind == "rosstat_aggregate" else code
    return out


def rosstat_region_ids(region_names: pd.Series) -> pd.Series:
    """ISO 3166-2 code of each Rosstat region name (missing for aggregates, unknown).

    Examples
    --------
    >>> rosstat_region_ids(pd.Series(["Город Санкт-Петербург город федерального "
    ...                               "значения", "Архангельская область"])).tolist()
    ['RU-SPE', nan]
    """
    return region_ids_from_names(region_names, rosstat_region_aliases())


def rosstat_unplaced_regions(region_names: pd.Series) -> dict[str, list[str]]:
    """Rosstat region names that get no region id, split into aggregates and unknown.

    Examples
    --------
    >>> rosstat_unplaced_regions(pd.Series(["Тюменская область", "Атлантида"]))
    {'aggregates': ['Тюменская область'], 'unknown': ['Атлантида']}
    """
    folded = {normalise_region_name(k): v for k, v in rosstat_region_aliases().items()}
    names = sorted(set(region_names.dropna().astype(str)))
    aggregates = [
        n
        for n in names
        if normalise_region_name(n) in folded and not folded[normalise_region_name(n)]
    ]
    unknown = [n for n in names if normalise_region_name(n) not in folded]
    return {"aggregates": aggregates, "unknown": unknown}


def rosstat_industry_table(
    counts: pd.DataFrame, *, year: int, level: str = "section"
) -> pd.DataFrame:
    """Organisations per region and OKVED2 item of one level, for the pipeline.

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`read_rosstat_org_counts`. Not modified.
    year : int
        The year to take.
    level : str
        ``"section"`` (complete: all 21 sections), ``"division"``, ``"group"`` or
        ``"class"`` (Rosstat publishes a selection of these; they are not summed up
        from finer items, which would be incomplete).

    Returns
    -------
    pandas.DataFrame
        ``region_id`` (ISO 3166-2; see :func:`rosstat_region_ids`), ``industry``,
        ``employees`` (missing: Rosstat counts organisations, not people),
        ``firms`` (organisations), ``suppressed``. Rows of aggregate or unknown
        regions are left out (list them with :func:`rosstat_unplaced_regions`).

    Raises
    ------
    ValueError
        If the level is unknown or the year has no rows.

    Examples
    --------
    >>> counts = pd.DataFrame({"region_name": ["Пермский край"] * 2,
    ...     "okved": ["P", "85"], "okved_level": ["section", "division"],
    ...     "year": [2020, 2020], "organisations": pd.array([12, 9], "Int64"),
    ...     "suppressed": [False, False]})
    >>> rosstat_industry_table(counts, year=2020)[["region_id", "industry",
    ...                                            "firms"]].values.tolist()
    [['RU-PER', 'P', 12]]
    """
    if level not in LEVEL_DEPTH:
        raise ValueError(
            f"Rosstat industry level must be one of {list(LEVEL_DEPTH)}; got {level!r}"
        )
    rows = counts[(counts["year"] == year) & (counts["okved_level"] == level)]
    if rows.empty:
        years = sorted(counts["year"].unique().tolist())
        raise ValueError(
            f"the Rosstat table has no {level} rows for {year}; it has years {years}. "
            "Set statistics.year"
        )
    region_ids = rosstat_region_ids(rows["region_name"])
    placed = region_ids.notna()
    out = pd.DataFrame(
        {
            "region_id": region_ids[placed].astype(str),
            "industry": rows.loc[placed, "okved"].astype(str),
            "employees": pd.array([pd.NA] * int(placed.sum()), dtype="Int64"),
            "firms": rows.loc[placed, "organisations"].astype("Int64"),
            "suppressed": rows.loc[placed, "suppressed"].astype(bool),
        }
    )
    return out.sort_values(["region_id", "industry"], ignore_index=True)


def rosstat_region_totals(counts: pd.DataFrame, *, year: int) -> pd.Series:
    """All-activities organisations per region id for one year (the LQ base).

    Examples
    --------
    >>> counts = pd.DataFrame({"region_name": ["Пермский край"], "okved": ["TOTAL"],
    ...     "okved_level": ["total"], "year": [2020],
    ...     "organisations": pd.array([40], "Int64")})
    >>> rosstat_region_totals(counts, year=2020).to_dict()
    {'RU-PER': 40}
    """
    rows = counts[(counts["year"] == year) & (counts["okved"] == TOTAL_CODE)]
    ids = rosstat_region_ids(rows["region_name"])
    totals = pd.Series(
        rows["organisations"].to_numpy(), index=ids.to_numpy(), name="organisations"
    )
    return totals[totals.index.notna()].rename_axis("region_id")
