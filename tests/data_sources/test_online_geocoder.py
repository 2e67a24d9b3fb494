"""Tests of the online geocoder against a local stand-in server (never a real one)."""

import sqlite3
import time

import numpy as np
import pandas as pd
import pytest

from data_sources.online_geocoder import (
    CACHE_FILE,
    DEFAULT_SCORE,
    OnlineGeocoder,
    user_agent_for,
)
from geo.geocode import geocode_firms
from tests.standins import GeocoderStandIn

CONTACT = "gis@example.org"


@pytest.fixture
def service():
    stand_in = GeocoderStandIn()
    yield stand_in
    stand_in.close()


class FakeTime:
    """A clock that only moves when slept on, recording every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def _geocoder(service, tmp_path, fake=None, **options) -> OnlineGeocoder:
    fake = fake or FakeTime()
    settings = {
        "provider": "nominatim",
        "url": service.url,
        "cache_dir": tmp_path / "cache",
        "contact": CONTACT,
        "timeout_s": 2.0,
        "sleep": fake.sleep,
        "clock": fake.clock,
    }
    settings.update(options)
    return OnlineGeocoder(**settings)


NOMINATIM_PERM = [{"lat": "58.0105", "lon": "56.2502", "display_name": "Пермь"}]


def test_nominatim_answer_user_agent_and_durable_cache(service, tmp_path):
    service.script["Пермь"] = [(200, {}, NOMINATIM_PERM)]
    with _geocoder(service, tmp_path) as geocoder:
        got = geocoder.lookup("Пермь")
        # committed at once: a second connection sees it while the first is open
        rows = (
            sqlite3.connect(tmp_path / "cache" / CACHE_FILE)
            .execute("SELECT query, lat, lon FROM answers")
            .fetchall()
        )
        assert rows == [("пермь", 58.0105, 56.2502)]
    assert (got["lat"], got["lon"], got["reason"]) == (58.0105, 56.2502, "")
    assert got["score"] == DEFAULT_SCORE and got["source"] == "online"
    request = service.requests[0]
    assert request["path"] == "/search"
    assert request["params"] == {"q": "Пермь", "format": "jsonv2", "limit": "1"}
    assert request["headers"]["User-Agent"] == user_agent_for(CONTACT)
    assert "gis@example.org" in request["headers"]["User-Agent"]
    # a new geocoder (a re-run after a crash) reads the cache; the same address
    # written otherwise ("ПЕРМЬ ") is the same key
    with _geocoder(service, tmp_path) as again:
        cached = again.lookup("ПЕРМЬ ")
        assert again.stats["requests"] == 0 and again.stats["cache_hits"] == 1
    assert (cached["lat"], cached["source"]) == (58.0105, "cache")
    assert len(service.requests) == 1


def test_at_most_one_request_per_second(service, tmp_path):
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake) as geocoder:
        out = geocoder.lookup_many(["a", "b", "c", "a"])
    # three distinct queries: the first at once, then 1 s apart (the fake clock does
    # not move while the server answers); the repeated "a" is answered from memory
    assert fake.sleeps == [1.0, 1.0]
    assert len(service.requests) == 3
    assert out["reason"].tolist() == ["no result"] * 4
    assert out["lat"].isna().all()


def test_rate_is_configurable(service, tmp_path):
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake, rate_per_s=4) as geocoder:
        geocoder.lookup_many(["a", "b", "c"])
    assert fake.sleeps == [0.25, 0.25]


def test_429_waits_as_long_as_retry_after_asks(service, tmp_path):
    service.script["x"] = [
        (429, {"Retry-After": "7"}, "slow down"),
        (200, {}, NOMINATIM_PERM),
    ]
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake, backoff_s=1.0) as geocoder:
        got = geocoder.lookup("x")
        assert geocoder.stats["retries"] == 1
    # backoff would be 1 s, the server asked for 7: we wait 7 s (then the 1 s rate
    # interval has passed already, so no further wait)
    assert fake.sleeps == [7.0]
    assert got["lat"] == 58.0105


def test_retry_after_as_an_http_date_and_cap(service, tmp_path):
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600))
    service.script["x"] = [(503, {"Retry-After": later}, ""), (200, {}, NOMINATIM_PERM)]
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake, max_wait_s=60) as geocoder:
        assert geocoder.lookup("x")["lat"] == 58.0105
    assert fake.sleeps == [60.0]  # an hour asked, capped at max_wait_s


def test_5xx_backs_off_exponentially_then_succeeds(service, tmp_path):
    service.script["x"] = [
        (500, {}, ""),
        (502, {}, ""),
        (503, {}, ""),
        (200, {}, NOMINATIM_PERM),
    ]
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake, backoff_s=0.5, rate_per_s=1000) as geo:
        assert geo.lookup("x")["lat"] == 58.0105
    # 0.5, 1, 2 s: backoff_s * 2**attempt (the 1 ms rate interval has passed)
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_persistent_5xx_is_reported_not_raised_and_not_cached(service, tmp_path):
    service.script["x"] = [(503, {}, "down")]
    fake = FakeTime()
    with _geocoder(service, tmp_path, fake, max_retries=2, rate_per_s=1000) as geo:
        got = geo.lookup("x")
        assert geo.stats["failures"] == 1
    assert got["reason"] == "HTTP 503 Service Unavailable (3 tries)"
    assert np.isnan(got["lat"])
    with _geocoder(service, tmp_path, rate_per_s=1000, max_retries=0) as again:
        again.lookup("x")  # not cached: asked again
        assert again.stats["requests"] == 1


def test_timeouts_are_retried_and_reported(service, tmp_path):
    service.script["late"] = [("sleep", 0.6, NOMINATIM_PERM)]
    service.script["late once"] = [("sleep", 0.6, "[]"), (200, {}, NOMINATIM_PERM)]
    fake = FakeTime()
    with _geocoder(
        service, tmp_path, fake, timeout_s=0.2, max_retries=1, rate_per_s=1000
    ) as geocoder:
        late = geocoder.lookup("late")
        once = geocoder.lookup("late once")
    assert late["reason"] == "timed out after 0.2 s (2 tries)"
    assert once["lat"] == 58.0105  # the retry was answered in time


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<html>Service temporarily down</html>", "garbage answer: not JSON"),
        ({"error": "Unable to geocode"}, "garbage answer: expected a JSON list"),
        ([{"lat": "north", "lon": "1"}], "garbage answer: lat is 'north'"),
        ([{"lat": "95", "lon": "1"}], "garbage answer: coordinates out of range"),
    ],
)
def test_garbage_is_reported_per_query(service, tmp_path, body, expected):
    service.script["bad"] = [(200, {}, body)]
    service.script["good"] = [(200, {}, NOMINATIM_PERM)]
    with _geocoder(service, tmp_path, rate_per_s=1000) as geocoder:
        out = geocoder.lookup_many(["bad", "good"])
    assert out["reason"].iloc[0].startswith(expected)
    assert out["lat"].iloc[1] == 58.0105  # the next query is unaffected


def test_refusal_stops_asking(service, tmp_path):
    service.script["a"] = [(403, {}, "blocked: read the usage policy")]
    with _geocoder(service, tmp_path, rate_per_s=1000) as geocoder:
        out = geocoder.lookup_many(["a", "b", "c"])
    assert len(service.requests) == 1  # b and c were not sent
    assert out["reason"].iloc[0] == "HTTP 403 Forbidden"
    assert out["reason"].iloc[1].startswith("not asked: HTTP 403 Forbidden")
    assert out["source"].tolist() == ["online", "skipped", "skipped"]


def test_photon_and_pelias_answers(service, tmp_path):
    feature = {
        "type": "FeatureCollection",
        "features": [
            {
                "geometry": {"type": "Point", "coordinates": [56.25, 58.01]},
                "properties": {
                    "name": "Perm",
                    "label": "Perm, Russia",
                    "confidence": 0.6,
                },
            }
        ],
    }
    service.script["Perm"] = [(200, {}, feature)]
    with _geocoder(service, tmp_path, provider="photon") as photon:
        got = photon.lookup("Perm")
    assert (got["lat"], got["lon"], got["score"]) == (58.01, 56.25, DEFAULT_SCORE)
    assert service.requests[-1]["path"] == "/api"
    with _geocoder(service, tmp_path / "p", provider="pelias", api_key="k1") as pelias:
        got = pelias.lookup("Perm")
    # Pelias reports its confidence; GeoJSON order is lon, lat
    assert (got["lat"], got["score"], got["label"]) == (58.01, 0.6, "Perm, Russia")
    assert service.requests[-1]["path"] == "/v1/search"
    assert service.requests[-1]["params"] == {
        "text": "Perm",
        "size": "1",
        "api_key": "k1",
    }


def test_online_tier_of_geocode_firms(service, tmp_path):
    service.script["ул. Ленина 5, Пермь"] = [(200, {}, NOMINATIM_PERM)]
    firms = pd.DataFrame(
        {
            "firm_id": ["a", "b", "c"],
            "address": ["ул. Ленина 5", "", ""],
            "settlement": ["Пермь", "Нигде", ""],
            "state": ["59", "59", ""],
        }
    )
    with _geocoder(service, tmp_path, rate_per_s=1000) as geocoder:
        out = geocode_firms(firms, tiers=["online"], online=geocoder.lookup_many)
    assert out["match_level"].tolist() == ["online", "unmatched", "unmatched"]
    assert out["match_score"].tolist() == [DEFAULT_SCORE, 0.0, 0.0]
    # the numeric region code is not sent: it means nothing to the service
    assert [r["params"]["q"] for r in service.requests] == [
        "ул. Ленина 5, Пермь",
        "Нигде",
    ]
    assert out["match_reason"].tolist() == [
        "",
        "online: no result",
        "online: nothing to ask",
    ]


def test_configuration_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("AGGLO_GEOCODER_CONTACT", raising=False)
    base = {"provider": "nominatim", "url": "http://127.0.0.1:9", "cache_dir": tmp_path}
    with pytest.raises(ValueError, match="needs a contact in the User-Agent"):
        OnlineGeocoder(**base)
    with pytest.raises(ValueError, match="user_agent 'python' names no contact"):
        OnlineGeocoder(**base, user_agent="python")
    with pytest.raises(ValueError, match="contact must be an e-mail address or a URL"):
        OnlineGeocoder(**base, contact="me")
    with pytest.raises(ValueError, match="provider 'google' is not supported"):
        OnlineGeocoder(**{**base, "provider": "google"}, contact=CONTACT)
    with pytest.raises(ValueError, match="url must be an http"):
        OnlineGeocoder(**{**base, "url": "nominatim.org"}, contact=CONTACT)
    with pytest.raises(ValueError, match="at most 1 request per second"):
        OnlineGeocoder(
            **{**base, "url": "https://nominatim.openstreetmap.org"},
            contact=CONTACT,
            rate_per_s=2,
        )
    with pytest.raises(ValueError, match="rate_per_s must be positive"):
        OnlineGeocoder(**base, contact=CONTACT, rate_per_s=0)
    monkeypatch.setenv("AGGLO_GEOCODER_CONTACT", "https://example.org/gis")
    with OnlineGeocoder(**base) as geocoder:  # contact from the environment
        assert geocoder.user_agent.endswith("(+https://example.org/gis)")
