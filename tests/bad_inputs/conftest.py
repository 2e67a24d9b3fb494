"""Helpers of the bad-input suite: our errors only, row accounting, and a tally.

Every case records its outcome in a session tally (cases tried, clear errors,
quarantined rows, faults survived, rows lost) printed at the end of the run, the
numbers the issue's closing note asks for.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = tuple(
    str(ROOT / name) for name in ("data_sources", "geo", "outputs", "pipelines")
)

TALLY: Counter = Counter()


def assert_our_error(excinfo: pytest.ExceptionInfo, *, file: str | Path | None = None):
    """The exception is a ValueError/TypeError raised by our code, not a library's.

    The last frame of its traceback must be in one of our packages (readers convert
    library exceptions with ``raise ... from None``), its type must be a builtin
    ValueError or TypeError or a subclass defined in our packages, and, when
    ``file`` is given, the message must name that file.
    """
    exc = excinfo.value
    assert isinstance(exc, ValueError | TypeError), type(exc)
    module = type(exc).__module__
    assert module == "builtins" or module.split(".")[0] in (
        "data_sources",
        "geo",
        "outputs",
        "pipelines",
    ), f"library exception leaked: {module}.{type(exc).__name__}: {exc}"
    last = str(excinfo.traceback[-1].path)
    assert last.startswith(OUR_PACKAGES), f"raised deep inside a library: {last}"
    if file is not None:
        assert str(file) in str(exc), f"{file} not named in: {exc}"
    TALLY["cases"] += 1
    TALLY["clear_errors"] += 1


def assert_accounted(
    raw: pd.DataFrame, validated: pd.DataFrame, rejected: pd.DataFrame
) -> None:
    """Every raw row is in exactly one output; every rejected row has a reason."""
    rows = set(raw["source_row"])
    kept = list(validated["source_row"])
    out = list(rejected["source_row"])
    lost = rows - set(kept) - set(out)
    TALLY["rows_lost"] += len(lost)
    assert not lost, f"rows lost: {sorted(lost)}"
    assert len(kept) + len(out) == len(raw), "a row is in both outputs or twice"
    assert set(kept).isdisjoint(out)
    reasons = rejected["reason"].astype(str).str.strip()
    assert (reasons != "").all(), "a rejected row has no reason"
    TALLY["quarantined_rows"] += len(rejected)


def tally_case(kind: str = "cases") -> None:
    """Count a case whose outcome is not an error (quarantine, repair, report)."""
    TALLY["cases"] += 1
    if kind != "cases":
        TALLY[kind] += 1


def pytest_terminal_summary(terminalreporter) -> None:
    if TALLY:
        terminalreporter.write_sep("-", "bad inputs, faults and attacks")
        for key in (
            "cases",
            "clear_errors",
            "quarantined_rows",
            "reported",
            "faults_survived",
            "attacks_refused",
            "rows_lost",
        ):
            terminalreporter.write_line(f"{key}: {TALLY.get(key, 0)}")


@pytest.fixture
def write(tmp_path):
    """Write text (UTF-8) or bytes to a file in tmp_path; return its path."""

    def _write(name: str, data: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return path

    return _write
