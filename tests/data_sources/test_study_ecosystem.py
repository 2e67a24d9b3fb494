"""The study's ecosystem section: entry rules as study data."""

import pytest

from data_sources.study import (
    MATURITY_GROUPS,
    TIE_TYPES,
    EcosystemSpec,
    MaturitySpec,
)
from geo import ecosystem, maturity


def test_vocabularies_agree_with_geo():
    assert TIE_TYPES == ecosystem.TIE_TYPES
    assert MATURITY_GROUPS == maturity.MATURITY_GROUPS


def test_entry_rules_from_the_study_file():
    spec = EcosystemSpec.model_validate(
        {"entry_rules": {"min_functional_dependence": 0.2}, "rate_basis": "ties"}
    )
    rules = ecosystem.EntryRules(**spec.entry_rules.model_dump())
    assert rules.min_functional_dependence == 0.2
    assert rules.cooperation_types == ecosystem.COOPERATION_TYPES
    assert EcosystemSpec().entry_rules.model_dump() == {
        "min_cooperation_ties": 1,
        "min_functional_dependence": None,
        "cooperation_types": list(ecosystem.COOPERATION_TYPES),
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"entry_rules": {"min_functional_dependence": 20}},
        {"entry_rules": {"min_cooperation_ties": 0}},
        {"entry_rules": {"cooperation_types": ["loan"]}},
        {"entry_rules": {"cooperation_types": []}},
        {"rate_basis": "census"},
        {"entry_rule": {}},
    ],
)
def test_bad_ecosystem_sections_are_refused(bad):
    with pytest.raises(ValueError):
        EcosystemSpec.model_validate(bad)


def test_unknown_maturity_group_is_refused():
    with pytest.raises(ValueError, match=r"unknown group\(s\) \['size'\]"):
        MaturitySpec(weights={"size": 1})
