"""Firm registry readers: a delimited file mapped to the canonical registry columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data_sources.study import REGISTRY_COLUMNS, REQUIRED_REGISTRY_COLUMNS, RegistrySpec

NUMERIC_COLUMNS = ("employees", "founded", "closed", "lat", "lon")


def read_registry_csv(spec: RegistrySpec) -> pd.DataFrame:
    """Read a delimited registry file as text, renamed to the canonical columns.

    Parameters
    ----------
    spec : RegistrySpec
        Path, encoding, delimiter, decimal mark and column mapping from the study.

    Returns
    -------
    pandas.DataFrame
        Canonical columns (text; missing optional columns are empty) plus
        ``source_row``, the 1-based data row in the file, so rejected rows can be found.

    Raises
    ------
    ValueError
        If the file is missing, cannot be decoded or parsed, or lacks a required column.
    """
    path = Path(spec.path)
    if not path.is_file():
        raise ValueError(f"registry.path: file not found: {path}")
    try:
        raw = pd.read_csv(
            path,
            sep=spec.delimiter,
            encoding=spec.encoding,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: cannot be read as {spec.encoding!r} ({exc.reason} at byte "
            f"{exc.start}); set registry.encoding (e.g. 'cp1251' or 'utf-8-sig')"
        ) from None
    except pd.errors.ParserError as exc:
        raise ValueError(
            f"{path}: not a well-formed {spec.delimiter!r}-delimited file ({exc}); "
            "check "
            "registry.delimiter and quoting"
        ) from None
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"{path}: the file is empty; expected a header and rows"
        ) from None
    mapping = {canon: spec.columns.get(canon, canon) for canon in REGISTRY_COLUMNS}
    missing = [c for c in REQUIRED_REGISTRY_COLUMNS if mapping[c] not in raw.columns]
    if missing:
        raise ValueError(
            f"{path}: required column(s) {[mapping[c] for c in missing]} not found "
            f"(canonical {missing}); the file has {list(raw.columns)[:15]}. Map them "
            "under registry.columns in the study file, or check registry.delimiter"
        )
    out = pd.DataFrame(index=raw.index)
    for canon, source in mapping.items():
        out[canon] = raw[source] if source in raw.columns else ""
    if spec.decimal != ".":
        for column in NUMERIC_COLUMNS:
            out[column] = out[column].str.replace(spec.decimal, ".", regex=False)
    out["source_row"] = range(1, len(out) + 1)
    return out
