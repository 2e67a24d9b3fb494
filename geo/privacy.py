"""Personal data and secrets: drop or hash personal columns, redact credentials."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

PERSONAL_DATA_ACTIONS = ("drop", "hash")
"""What a study may do with personal data columns (names of sole traders, addresses)."""

REDACTED = "***"
"""What a secret is replaced by."""

SECRET_KEYS = re.compile(
    r"(password|passwd|^pass$|secret|token|api_?key|^auth$|authorization|"
    r"credential|user_agent|contact|cookie|private_key)",
    re.IGNORECASE,
)
"""Mapping keys whose values are never published (case-insensitive search)."""

_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")
_URL_SECRET_PARAM = re.compile(
    r"(?P<name>[?&](?:api_?key|key|token|access_token|password|secret)=)[^&#\s]*",
    re.IGNORECASE,
)


def protect_personal_data(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    action: str,
    salt: str = "",
) -> pd.DataFrame:
    """Drop or hash the personal data columns of a table (e.g. sole traders' names).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table, e.g. the registry as read. Not modified.
    columns : sequence of str
        Columns holding personal data, e.g. ``["name", "address"]``.
    action : {"drop", "hash"}
        ``drop`` removes the columns; ``hash`` replaces every non-empty value by
        the first 16 hex digits of HMAC-SHA-256(salt, value), so equal values stay
        equal (duplicates can still be found) but cannot be read back. Empty and
        missing values stay as they are.
    salt : str
        Secret key of the hash (required for ``hash``, at least 16 characters):
        without it, a name could be found again by hashing a list of names. Keep
        it out of the study file (e.g. in an environment variable).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns dropped or hashed, every row kept, in order.

    Raises
    ------
    ValueError
        If the action is unknown, a column is missing, or the salt is too short.

    Examples
    --------
    >>> firms = pd.DataFrame({"firm_id": ["1", "2"], "name": ["Ivan Petrov", ""]})
    >>> out = protect_personal_data(firms, columns=["name"], action="hash",
    ...                             salt="a-secret-of-16-chars")
    >>> len(out["name"].iloc[0]), out["name"].iloc[1]
    (16, '')
    """
    if action not in PERSONAL_DATA_ACTIONS:
        raise ValueError(
            f"personal_data.action {action!r} is not one of "
            f"{list(PERSONAL_DATA_ACTIONS)}; write 'drop' or 'hash'"
        )
    if isinstance(columns, str):
        raise TypeError(
            f"columns must be a list of column names; got the string {columns!r}. "
            f"Write e.g. [{columns!r}]"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"personal_data.columns {missing} not in the table; it has "
            f"{list(frame.columns)[:20]}. Name existing columns"
        )
    if action == "drop":
        return frame.drop(columns=list(columns))
    if not isinstance(salt, str) or len(salt) < 16:
        raise ValueError(
            "personal_data.action 'hash' needs a secret salt of at least 16 "
            f"characters (got {len(salt) if isinstance(salt, str) else salt!r}); "
            "without one, hashed names can be recovered from a list of names. "
            "Set it outside the study file, e.g. in an environment variable"
        )
    key = salt.encode("utf-8")
    out = frame.copy()
    for column in columns:
        out[column] = frame[column].map(
            lambda v: (
                v
                if v is None or (not isinstance(v, str) and pd.isna(v)) or v == ""
                else hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[
                    :16
                ]
            )
        )
    return out


def redact_text(text: str, *, secrets: Iterable[str] = ()) -> str:
    """Text with URL credentials, secret URL parameters and given secrets replaced.

    Parameters
    ----------
    text : str
        Any text, e.g. a URL or a log line.
    secrets : iterable of str
        Literal strings to replace by ``***`` wherever they occur.

    Returns
    -------
    str
        ``scheme://user:password@host`` becomes ``scheme://***@host``;
        ``api_key=``, ``key=``, ``token=``, ``access_token=``, ``password=`` and
        ``secret=`` parameter values become ``***``.

    Examples
    --------
    >>> redact_text("https://user:pass@geo.example.org/search?api_key=abc&q=x")
    'https://***@geo.example.org/search?api_key=***&q=x'
    """
    out = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    out = _URL_SECRET_PARAM.sub(lambda m: f"{m['name']}{REDACTED}", out)
    for secret in secrets:
        if secret:
            out = out.replace(secret, REDACTED)
    return out


def redact_secrets(value: object, *, secrets: Iterable[str] = ()) -> object:
    """A copy of JSON-like data with credentials removed, for logs and metadata.

    Parameters
    ----------
    value : object
        Mappings, lists and scalars (e.g. a study's parameters). Not modified.
    secrets : iterable of str
        Literal strings that must not appear (e.g. values of secret environment
        variables); each is replaced by ``***`` wherever it occurs.

    Returns
    -------
    object
        The same structure. Values under keys matching :data:`SECRET_KEYS`
        (passwords, tokens, API keys, User-Agent contacts) become ``***`` when
        present; credentials in URLs (``https://user:pass@host``) and secret URL
        parameters (``api_key=...``) are replaced in every string.

    Examples
    --------
    >>> redact_secrets({"url": "https://u:p@host", "user_agent": "a (+me@x.org)",
    ...                 "rate_per_s": 1.0, "api_key": None})
    {'url': 'https://***@host', 'user_agent': '***', 'rate_per_s': 1.0, 'api_key': None}
    """
    secrets = [s for s in secrets if s]
    if isinstance(value, Mapping):
        return {
            key: (
                REDACTED
                if isinstance(key, str)
                and SECRET_KEYS.search(key)
                and val not in (None, "")
                else redact_secrets(val, secrets=secrets)
            )
            for key, val in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact_secrets(v, secrets=secrets) for v in value)
    if isinstance(value, str):
        return redact_text(value, secrets=secrets)
    return value
