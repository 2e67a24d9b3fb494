"""The ecosystem layer on the demo study: planted maturity profiles are recovered."""

import numpy as np
import pandas as pd
import pytest

from data_sources.demo import DEMO_YEAR, PLANTED_CLUSTERS, write_demo_inputs
from data_sources.interactions import fill_from_registry, read_interactions
from data_sources.study import InteractionsSpec
from geo.ecosystem import (
    FUNCTIONAL_DEPENDENCE_PRIORITY_TERRITORIES,
    FUNCTIONAL_DEPENDENCE_RUSSIA,
    EntryRules,
    cluster_members,
    ecosystem_measures,
    member_compliance,
)
from geo.maturity import MATURITY_STAGES, maturity_index


def _registry_firms(path) -> pd.DataFrame:
    """Valid registry firms, light checks: first row of an id, whole employees >= 0."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw.drop_duplicates("firm_id")
    employees = pd.to_numeric(raw["employees"], errors="coerce")
    raw = raw.assign(employees=employees)[employees >= 0]
    return pd.DataFrame(
        {
            "firm_id": raw["firm_id"],
            "naics6": raw["industry_code"],
            "employees": raw["employees"].astype(int),
            "founded": pd.to_numeric(raw["founded"], errors="coerce").astype("Int64"),
            "closed": pd.to_numeric(raw["closed"], errors="coerce").astype("Int64"),
        }
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    paths = write_demo_inputs(tmp_path_factory.mktemp("demo"))
    actors, ties, rejected = read_interactions(
        InteractionsSpec(actors=str(paths["actors"]), ties=str(paths["ties"]))
    )
    firms = _registry_firms(paths["registry"])
    stats = pd.read_csv(paths["statistics"], dtype={"region_id": str})
    actors = fill_from_registry(actors, firms[["firm_id", "founded", "closed"]])
    regions = {
        c["profile"]: (c["industry"], set(c["core"] + c["ring"]))
        for c in PLANTED_CLUSTERS
    }
    members = cluster_members(actors, ties, regions, year=DEMO_YEAR)
    coordinators = actors.loc[
        actors["name"].isin([c.get("coordinator") for c in PLANTED_CLUSTERS]),
        "actor_id",
    ].tolist()
    return {
        "actors": actors,
        "ties": ties,
        "rejected": rejected,
        "firms": firms,
        "stats": stats,
        "regions": regions,
        "members": members,
        "coordinators": coordinators,
    }


def _critical_mass_and_lq(demo) -> pd.DataFrame:
    """Employment and firms of the active member firms, and the cluster's LQ.

    LQ = (cluster employment / regions' total employment) / (industry's registry
    employment in Georgia / Georgia's total employment), totals from statistics.csv;
    one pooled LQ stands in for the pipeline's mean over the cluster's regions.
    """
    actors, firms, stats = demo["actors"], demo["firms"], demo["stats"]
    active = firms[firms["closed"].isna() | (firms["closed"] > DEMO_YEAR)]
    state_total = stats["total_employment"].sum()
    rows = []
    for profile, (industry, regions) in demo["regions"].items():
        ids = demo["members"].loc[demo["members"]["cluster_id"] == profile, "actor_id"]
        firm_ids = actors.loc[actors["actor_id"].isin(ids), "firm_id"].dropna()
        mine = active[active["firm_id"].isin(firm_ids)]
        industry_total = active.loc[
            active["naics6"].str.startswith(industry), "employees"
        ].sum()
        region_total = stats.loc[stats["region_id"].isin(regions), "total_employment"]
        lq = (mine["employees"].sum() / region_total.sum()) / (
            industry_total / state_total
        )
        rows.append(
            {
                "cluster_id": profile,
                "employment": int(mine["employees"].sum()),
                "firms": len(mine),
                "mean_lq": float(lq),
            }
        )
    return pd.DataFrame(rows)


def test_demo_interactions_are_clean_and_linked(demo):
    assert demo["rejected"].empty
    # every planted cluster has member firms, and some members closed (exits)
    counts = demo["members"].groupby("cluster_id").size()
    assert set(counts.index) == {"mature", "developing", "embryonic"}
    assert demo["actors"]["closed"].notna().sum() > 0
    assert demo["coordinators"] == ["ORG-CRI"]


def test_mature_ranks_above_embryonic(demo):
    eco = ecosystem_measures(
        demo["actors"],
        demo["ties"],
        demo["members"],
        year=DEMO_YEAR,
        coordinator_ids=demo["coordinators"],
    )
    # nothing is NaN on the demo: every measure has data
    assert (eco["notes"] == "").all(), eco["notes"].tolist()
    table = _critical_mass_and_lq(demo).merge(eco, on="cluster_id")
    out = maturity_index(table).set_index("cluster_id")
    index = out["maturity_index"]
    assert index["mature"] > index["embryonic"]
    # the whole planted order holds, and the stages say so. (With equal weights
    # the embryonic cluster still reaches "developing": by construction every
    # planted cluster is a strong agglomeration, critical mass and specialisation)
    assert index["mature"] > index["developing"] > index["embryonic"]
    stages = [name for _, name in MATURITY_STAGES]
    rank = out["maturity_stage"].map(stages.index)
    assert rank["mature"] >= stages.index("mature")
    assert rank["mature"] > rank["embryonic"]
    # the embryonic film cluster is many small young firms tied to few headquarters:
    # the mature carpet cluster beats it on collaboration, reputation and composition
    for group in ("collaboration", "reputation", "composition"):
        assert (
            out.loc["mature", f"score_{group}"] > out.loc["embryonic", f"score_{group}"]
        )
    e = eco.set_index("cluster_id")
    assert e.loc["mature", "persistence"] > e.loc["embryonic", "persistence"]
    assert e.loc["mature", "non_group_share"] > e.loc["embryonic", "non_group_share"]
    # young cluster: firms still entering (founded 2012-2023) vs none in the mature one
    assert e.loc["embryonic", "entry_rate"] > e.loc["mature", "entry_rate"]


def test_stricter_entry_rules_lower_compliance(demo):
    # entry rules as a study file would hold them
    study_rules = [
        {},
        {"min_cooperation_ties": 3},
        {"min_functional_dependence": FUNCTIONAL_DEPENDENCE_PRIORITY_TERRITORIES},
        {"min_functional_dependence": FUNCTIONAL_DEPENDENCE_RUSSIA},
        {
            "min_functional_dependence": FUNCTIONAL_DEPENDENCE_RUSSIA,
            "min_cooperation_ties": 3,
        },
    ]
    shares = pd.DataFrame(
        {
            i: ecosystem_measures(
                demo["actors"],
                demo["ties"],
                demo["members"],
                year=DEMO_YEAR,
                entry_rules=EntryRules(**rules),
            ).set_index("cluster_id")["entry_rule_compliance"]
            for i, rules in enumerate(study_rules)
        }
    )
    # each rule set above is at least as strict as the default: no share rises
    for i in range(1, len(study_rules)):
        assert (shares[i] <= shares[0]).all(), (i, shares)
    # the dependence rule (firms must show sales inside the cluster in the study
    # year) lowers every cluster's share, and adding the cooperation minimum too
    assert (shares[3] < shares[0]).all()
    assert (shares[4] <= shares[3]).all()
    assert shares.loc["embryonic", 4] < shares.loc["embryonic", 3]
    # the mature cluster complies best under every rule
    assert (shares.loc["mature"] >= shares.loc["embryonic"]).all()
    # per member: the share is the mean of the members' compliance flags
    per = member_compliance(
        demo["actors"],
        demo["ties"],
        demo["members"],
        year=DEMO_YEAR,
        rules=EntryRules(**study_rules[3]),
    )
    np.testing.assert_allclose(
        per.groupby("cluster_id", sort=False)["complies"].mean()[shares.index],
        shares[3],
    )
    assert (per.loc[~per["complies"], "reason"] != "").all()
