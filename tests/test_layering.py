"""Import direction: geo/ is pure (no Dagster, no I/O); only pipelines/ uses Dagster."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Calls and modules that read or write files or the network; geo/ must use none.
IO_CALLS = {
    "open",
    "read_file",
    "to_file",
    "read_csv",
    "to_csv",
    "read_parquet",
    "to_parquet",
    "read_excel",
    "read_dataframe",
    "write_dataframe",
    "urlopen",
    "get_path",
}
IO_MODULES = {
    "requests",
    "urllib",
    "httpx",
    "socket",
    "sqlite3",
    "pyogrio",
    "fiona",
    "rasterio",
    "shutil",
    "tempfile",
    "subprocess",
    "geopy",
}


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(
                func.attr
                if isinstance(func, ast.Attribute)
                else getattr(func, "id", "")
            )
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("geo"), ids=lambda p: p.name)
def test_geo_is_pure(path):
    tree = ast.parse(path.read_text())
    tops = {name.split(".")[0] for name in imported_modules(tree)}
    assert not tops & {"dagster", "pipelines", "data_sources", "outputs"}, tops
    assert not tops & IO_MODULES, tops & IO_MODULES
    assert not called_names(tree) & IO_CALLS, called_names(tree) & IO_CALLS


@pytest.mark.parametrize(
    "path", modules("data_sources") + modules("outputs"), ids=lambda p: p.name
)
def test_only_pipelines_imports_dagster(path):
    tops = {
        name.split(".")[0] for name in imported_modules(ast.parse(path.read_text()))
    }
    assert "dagster" not in tops and "pipelines" not in tops, tops


def test_the_check_itself_catches_a_violation():
    tree = ast.parse("import dagster\nfrom pyogrio import read_dataframe\nopen('x')\n")
    assert "dagster" in imported_modules(tree)
    assert "open" in called_names(tree)
