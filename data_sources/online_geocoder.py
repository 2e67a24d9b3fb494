"""Online geocoders (Nominatim, Photon, Pelias) over plain HTTP: polite and cached."""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import os
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from geo.geocode import normalise_address

PROVIDERS: tuple[str, ...] = ("nominatim", "photon", "pelias")
"""Services `OnlineGeocoder` speaks to (public or self-hosted)."""

CONTACT_ENV = "AGGLO_GEOCODER_CONTACT"
"""Environment variable with the e-mail or URL put in the User-Agent when the study
gives none."""

DEFAULT_SCORE = 0.8
"""``score`` of an online answer when the provider gives no confidence (Nominatim,
Photon): below the exact offline tiers, above fuzzy guesses at a region."""

CACHE_FILE = "online-geocoder.sqlite"
"""Name of the cache database inside ``cache_dir``."""

_STRICT_HOSTS = ("nominatim.openstreetmap.org",)  # usage policy: at most 1 request/s
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_STOP_STATUS = frozenset({401, 403})  # blocked or not allowed: asking again won't help
_MAX_CONSECUTIVE_FAILURES = 5


def _version() -> str:
    try:
        return metadata.version("agglo")
    except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "dev"


def user_agent_for(contact: str) -> str:
    """User-Agent naming the project and a contact, as geocoding services ask.

    Parameters
    ----------
    contact : str
        An e-mail address or a URL where the operator can be reached.

    Returns
    -------
    str
        ``"agglo/<version> (+<contact>)"``.

    Raises
    ------
    ValueError
        If ``contact`` is neither an e-mail address nor a URL.

    Examples
    --------
    >>> user_agent_for("gis@example.org").split(" ")[1]
    '(+gis@example.org)'
    """
    text = str(contact).strip()
    if "@" not in text and "://" not in text:
        raise ValueError(
            f"contact must be an e-mail address or a URL; got {contact!r}. Geocoding "
            "services block anonymous clients: give one in the study "
            f"(geocoder.online.user_agent) or in ${CONTACT_ENV}."
        )
    return f"agglo/{_version()} (+{text})"


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a Retry-After header (seconds or an HTTP date), if any."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Garbage(Exception):
    """An answer that is not what the provider's API returns."""


def _number(value: object, what: str) -> float:
    try:
        number = float(value)  # Nominatim writes coordinates as strings
    except (TypeError, ValueError) as err:
        raise _Garbage(f"{what} is {value!r}, not a number") from err
    if not math.isfinite(number):
        raise _Garbage(f"{what} is {value!r}")
    return number


def _parse(provider: str, body: bytes) -> tuple[float, float, float, str] | None:
    """(lat, lon, score, label) of the best answer, or None when there is none."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise _Garbage(f"not JSON: {body[:60]!r}") from err
    if provider == "nominatim":
        if not isinstance(data, list):
            raise _Garbage(f"expected a JSON list, got {type(data).__name__}")
        if not data:
            return None
        best = data[0]
        if not isinstance(best, dict):
            raise _Garbage("the first answer is not an object")
        lat, lon = _number(best.get("lat"), "lat"), _number(best.get("lon"), "lon")
        score, label = DEFAULT_SCORE, str(best.get("display_name", ""))
    else:
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list):
            raise _Garbage("expected a GeoJSON FeatureCollection")
        if not features:
            return None
        best = features[0] if isinstance(features[0], dict) else {}
        coords = (best.get("geometry") or {}).get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2:
            raise _Garbage("the first feature has no point coordinates")
        lon, lat = _number(coords[0], "lon"), _number(coords[1], "lat")
        props = best.get("properties") or {}
        if provider == "pelias" and "confidence" in props:
            score = min(1.0, max(0.0, _number(props["confidence"], "confidence")))
        else:
            score = DEFAULT_SCORE
        label = str(props.get("label") or props.get("name") or "")
    if abs(lat) > 90 or abs(lon) > 180:
        raise _Garbage(f"coordinates out of range (lat={lat:g}, lon={lon:g})")
    return lat, lon, score, label


class OnlineGeocoder:
    """Ask an online geocoder, at most ``rate_per_s`` times a second, keeping answers.

    Every answer (a point or "no result") is written to a SQLite cache in
    ``cache_dir`` and committed before the next request, so a crash loses nothing
    and a re-run asks only what it has not asked yet. Failures (time-outs, 429 or
    5xx after the retries, answers that are not the provider's JSON) are reported
    per query and never raised; they are not cached, so a later run retries them.

    Parameters
    ----------
    provider : {"nominatim", "photon", "pelias"}
        The service's API.
    url : str
        Base URL, e.g. ``https://nominatim.openstreetmap.org``,
        ``https://photon.komoot.io`` or a self-hosted instance.
    cache_dir : str or Path
        Folder of the cache (created if needed).
    user_agent : str, optional
        Full User-Agent; must contain an e-mail address or URL. Default: built by
        `user_agent_for` from ``contact`` or ``$AGGLO_GEOCODER_CONTACT``.
    contact : str, optional
        E-mail or URL for the default User-Agent.
    rate_per_s : float
        Most requests per second (retries included); 1 by default, and at most 1
        for nominatim.openstreetmap.org (its usage policy).
    timeout_s : float
        Seconds to wait for one answer.
    max_retries : int
        Retries after a time-out, a lost connection, 429 or 5xx.
    backoff_s : float
        First retry delay; doubled at each retry unless the server's
        ``Retry-After`` asks for longer. Never more than ``max_wait_s``.
    max_wait_s : float
        Longest single wait.
    countries : sequence of str, optional
        ISO2 codes to restrict answers to (Nominatim ``countrycodes``).
    api_key : str, optional
        Sent as ``api_key`` (Pelias hosts such as geocode.earth need one).
    sleep, clock : callable
        ``time.sleep`` and ``time.monotonic`` unless a test fakes them.

    Raises
    ------
    ValueError
        If the provider is unknown, the User-Agent has no contact, or a number is
        out of range (``rate_per_s`` above 1 for the public Nominatim).

    Examples
    --------
    >>> import tempfile
    >>> g = OnlineGeocoder(provider="nominatim", url="http://127.0.0.1:9",
    ...     cache_dir=tempfile.mkdtemp(), contact="gis@example.org")
    >>> g.user_agent.startswith("agglo/"), g.min_interval_s
    (True, 1.0)
    >>> g.close()
    """

    def __init__(
        self,
        *,
        provider: str,
        url: str,
        cache_dir: str | Path,
        user_agent: str | None = None,
        contact: str | None = None,
        rate_per_s: float = 1.0,
        timeout_s: float = 10.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        max_wait_s: float = 120.0,
        countries: Sequence[str] | None = None,
        api_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(
                f"provider {provider!r} is not supported; use one of {list(PROVIDERS)}"
            )
        parsed = urllib.parse.urlparse(str(url))
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"url must be an http(s) base URL such as "
                f"'https://nominatim.openstreetmap.org'; got {url!r}"
            )
        if not rate_per_s > 0:
            raise ValueError(f"rate_per_s must be positive; got {rate_per_s!r}")
        host = parsed.hostname or ""
        if host in _STRICT_HOSTS and rate_per_s > 1:
            raise ValueError(
                f"{host} allows at most 1 request per second (its usage policy); got "
                f"rate_per_s={rate_per_s}. Use rate_per_s <= 1 or your own instance."
            )
        for name, value in (("timeout_s", timeout_s), ("max_wait_s", max_wait_s)):
            if not value > 0:
                raise ValueError(f"{name} must be positive seconds; got {value!r}")
        if int(max_retries) < 0 or backoff_s < 0:
            raise ValueError(
                f"max_retries and backoff_s must not be negative; got {max_retries!r} "
                f"and {backoff_s!r}"
            )
        if user_agent is None:
            contact = contact or os.environ.get(CONTACT_ENV, "")
            if not contact:
                raise ValueError(
                    "online geocoding needs a contact in the User-Agent; give "
                    "geocoder.online.user_agent in the study, contact=..., or set "
                    f"${CONTACT_ENV} to your e-mail address"
                )
            user_agent = user_agent_for(contact)
        elif "@" not in user_agent and "://" not in user_agent:
            raise ValueError(
                f"user_agent {user_agent!r} names no contact; add an e-mail address "
                "or URL, e.g. 'agglo/0.1 (+gis@example.org)'"
            )
        self.provider = provider
        self.url = str(url).rstrip("/")
        self.user_agent = user_agent
        self.min_interval_s = 1.0 / float(rate_per_s)
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.backoff_s = float(backoff_s)
        self.max_wait_s = float(max_wait_s)
        self.countries = sorted({c.strip().lower() for c in countries or []})
        self.api_key = api_key
        self._sleep, self._clock = sleep, clock
        self._last_request: float | None = None
        self._failures = 0
        self._stopped: str | None = None
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0, "failures": 0}
        folder = Path(cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.cache_path = folder / CACHE_FILE
        # autocommit: every INSERT is its own transaction, on disk when it returns
        self._db = sqlite3.connect(self.cache_path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (provider TEXT NOT NULL, "
            "endpoint TEXT NOT NULL, query TEXT NOT NULL, lat REAL, lon REAL, "
            "score REAL, label TEXT, reason TEXT, asked TEXT, "
            "PRIMARY KEY (provider, endpoint, query))"
        )
        self._endpoint = self.url + (
            f"?countrycodes={','.join(self.countries)}" if self.countries else ""
        )

    # -- context manager -----------------------------------------------------------
    def close(self) -> None:
        """Close the cache database."""
        self._db.close()

    def __enter__(self) -> OnlineGeocoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ----------------------------------------------------------------------
    def _request_url(self, query: str) -> str:
        if self.provider == "nominatim":
            params = {"q": query, "format": "jsonv2", "limit": 1}
            if self.countries:
                params["countrycodes"] = ",".join(self.countries)
            path = "/search"
        elif self.provider == "photon":
            params, path = {"q": query, "limit": 1}, "/api"
        else:
            params, path = {"text": query, "size": 1}, "/v1/search"
        if self.api_key:
            params["api_key"] = self.api_key
        return f"{self.url}{path}?{urllib.parse.urlencode(params)}"

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _fetch(self, query: str) -> tuple[tuple | None, str, bool]:
        """(answer or None, reason, cacheable) for one query, with retries."""
        request = urllib.request.Request(
            self._request_url(query),
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
        )
        problem = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats["retries"] += 1
            self._wait_turn()
            self.stats["requests"] += 1
            asked_for = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                    body = reply.read()
                answer = _parse(self.provider, body)
                return answer, "" if answer else "no result", True
            except urllib.error.HTTPError as err:
                problem = f"HTTP {err.code} {err.reason}"
                if err.code in _STOP_STATUS:
                    self._stopped = f"{problem}: the service refused us"
                    return None, problem, False
                if err.code not in _RETRY_STATUS:
                    return None, problem, False
                asked_for = _retry_after(err.headers.get("Retry-After"))
            except TimeoutError:
                problem = f"timed out after {self.timeout_s:g} s"
            except urllib.error.URLError as err:
                if isinstance(err.reason, TimeoutError):
                    problem = f"timed out after {self.timeout_s:g} s"
                else:
                    problem = f"connection failed ({err.reason})"
            except (OSError, http.client.HTTPException) as err:  # cut mid-answer
                problem = f"connection failed ({err})"
            except _Garbage as err:
                return None, f"garbage answer: {err}", False
            if attempt < self.max_retries:
                delay = self.backoff_s * 2**attempt
                if asked_for is not None:
                    delay = max(delay, asked_for)
                self._sleep(min(delay, self.max_wait_s))
        return None, f"{problem} ({self.max_retries + 1} tries)", False

    # -- public --------------------------------------------------------------------
    def lookup(self, query: str) -> dict[str, object]:
        """Geocode one query text; never raises for what the service answers.

        Parameters
        ----------
        query : str
            Free text, e.g. ``"ул. Ленина 5, Пермь"``.

        Returns
        -------
        dict
            ``lat``, ``lon`` (WGS84; NaN without an answer), ``score`` (0..1; NaN
            without an answer), ``label`` (the provider's name of the place),
            ``reason`` (``""`` with an answer, else why not: "no result",
            "HTTP 503 ... (5 tries)", "timed out ...", "garbage answer: ...") and
            ``source`` (``"cache"``, ``"online"`` or ``"skipped"``).
        """
        key = normalise_address(query)
        empty = {"lat": math.nan, "lon": math.nan, "score": math.nan, "label": ""}
        if not key:
            return {**empty, "reason": "empty query", "source": "skipped"}
        row = self._db.execute(
            "SELECT lat, lon, score, label, reason FROM answers WHERE provider = ? "
            "AND endpoint = ? AND query = ?",
            (self.provider, self._endpoint, key),
        ).fetchone()
        if row is not None:
            self.stats["cache_hits"] += 1
            lat, lon, score, label, reason = row
            return {
                "lat": math.nan if lat is None else lat,
                "lon": math.nan if lon is None else lon,
                "score": math.nan if score is None else score,
                "label": label or "",
                "reason": reason or "",
                "source": "cache",
            }
        if self._stopped:
            return {
                **empty,
                "reason": f"not asked: {self._stopped}",
                "source": "skipped",
            }
        answer, reason, cacheable = self._fetch(query)
        if answer is None and not cacheable:
            self.stats["failures"] += 1
            self._failures += 1
            if self._failures >= _MAX_CONSECUTIVE_FAILURES and not self._stopped:
                self._stopped = f"{self._failures} failures in a row (last: {reason})"
            return {**empty, "reason": reason, "source": "online"}
        self._failures = 0
        lat, lon, score, label = answer if answer else (None, None, None, "")
        self._db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.provider,
                self._endpoint,
                key,
                lat,
                lon,
                score,
                label,
                reason,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )
        out = {"lat": lat, "lon": lon, "score": score, "label": label}
        out = {k: (math.nan if v is None else v) for k, v in out.items()}
        return {**out, "reason": reason, "source": "online"}

    def lookup_many(
        self,
        queries: Sequence[str],
        progress: Callable[[int, int, dict[str, int]], None] | None = None,
    ) -> pd.DataFrame:
        """Geocode query texts one after the other; the ``online`` of `geocode_firms`.

        Parameters
        ----------
        queries : sequence of str
            Query texts; repeats are asked once.
        progress : callable, optional
            Called after each distinct query with (queries done, distinct queries,
            `stats`): at one request a second a long list takes hours, and whoever
            watches the run wants to know how far it is.

        Returns
        -------
        pandas.DataFrame
            One row per query, in order: the columns of `lookup`.
        """
        seen: dict[str, dict[str, object]] = {}
        total = len(set(map(str, queries)))
        for query in map(str, queries):
            if query not in seen:
                seen[query] = self.lookup(query)
                if progress is not None:
                    progress(len(seen), total, self.stats)
        rows = [seen[str(q)] for q in queries]
        columns = ["lat", "lon", "score", "label", "reason", "source"]
        return pd.DataFrame(rows, columns=columns)
