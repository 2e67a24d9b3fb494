"""GeoDataFrames as GeoParquet (CRS kept), frames as Parquet; else pickle."""

import os
import pickle
from pathlib import Path
from typing import Any

import dagster as dg
import geopandas as gpd
import pandas as pd


class GeoParquetIOManager(dg.ConfigurableIOManager):
    """Stores each asset under ``base_dir`` by asset key; writes are atomic."""

    base_dir: str
    """Folder for intermediate asset values."""

    def _stem(self, key: dg.AssetKey) -> Path:
        return Path(self.base_dir).joinpath(*key.path)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        stem = self._stem(context.asset_key)
        stem.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(obj, gpd.GeoDataFrame):
            path, write = stem.with_suffix(".geoparquet"), obj.to_parquet
        elif isinstance(obj, pd.DataFrame):
            path, write = stem.with_suffix(".parquet"), obj.to_parquet
        else:
            path = stem.with_suffix(".pickle")

            def write(target: Path) -> None:
                with open(target, "wb") as handle:
                    pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)

        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        write(tmp)
        os.replace(tmp, path)
        for other in stem.parent.glob(f"{stem.name}.*"):
            if other != path and not other.name.startswith("."):
                other.unlink()  # an asset that changed type leaves no stale copy
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> Any:
        stem = self._stem(context.asset_key)
        for suffix, read in (
            (".geoparquet", gpd.read_parquet),
            (".parquet", pd.read_parquet),
        ):
            if stem.with_suffix(suffix).is_file():
                return read(stem.with_suffix(suffix))
        path = stem.with_suffix(".pickle")
        if not path.is_file():
            raise FileNotFoundError(
                f"no stored value for asset {context.asset_key.to_user_string()} under "
                f"{self.base_dir}; materialise it first"
            )
        with open(path, "rb") as handle:
            return pickle.load(handle)  # our own files only, written above
