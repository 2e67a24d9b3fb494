"""Geocoding without I/O: normalise places and postcodes, match firms to gazetteers."""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

TIERS: tuple[str, ...] = (
    "coordinates",
    "postcode",
    "settlement",
    "fuzzy_settlement",
    "online",
    "region_centroid",
)
"""Every match tier `geocode_firms` knows, in the order they are best tried."""

DEFAULT_TIERS: tuple[str, ...] = (
    "coordinates",
    "postcode",
    "settlement",
    "fuzzy_settlement",
)
"""Tiers tried when none are given: the offline ones that need no extra input."""

SUPPORTED_POSTCODE_COUNTRIES: tuple[str, ...] = ("US", "RU")

MUNICIPALITY_FALLBACK_SCORE = 0.9
"""``match_score`` of a firm placed at its municipality's own settlement because its
settlement name is not in the gazetteer (e.g. a city's micro-district)."""

AMBIGUITY_DEGREES = 0.1
"""Gazetteer rows with one name within this many degrees (about 10 km) of the chosen
one count as the same place (districts of one city, spelling variants)."""

# --- text normalisation ---------------------------------------------------------------
# Abbreviations expanded anywhere in a Latin place name (whole words only).
_ABBREVIATIONS: dict[str, str] = {
    "mt": "mount",
    "mtn": "mountain",
    "ft": "fort",
    "twp": "township",
    "tp": "township",
    "hts": "heights",
    "spgs": "springs",
    "spg": "spring",
    "jct": "junction",
    "ctr": "center",
    "isl": "island",
    "is": "island",
    "lk": "lake",
    "vlg": "village",
    "bch": "beach",
    "pt": "point",
    "sta": "station",
}
# Expanded only as the first word of a multi-word Latin name
# ("St Marys" is Saint Marys, but "Main St" is a street, not a saint).
_LEADING: dict[str, str] = {
    "st": "saint",
    "ste": "sainte",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
}
# Russian settlement types, written before (or after) a name: "г. Пермь", "с. Спасское",
# "пос. Майский", "Тоншаево рп". Dropped from the matching key when a name remains.
# Compared as token tuples after casefolding, 'ё' -> 'е' and splitting on punctuation.
_RU_SETTLEMENT_TYPES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "поселок городского типа",
                "рабочий поселок",
                "дачный поселок",
                "курортный поселок",
                "городской поселок",
                "коттеджный поселок",
                "поселок и станция",
                "поселок при станции",
                "поселок станции",
                "железнодорожная станция",
                "населенный пункт",
                "сельское поселение",
                "городское поселение",
                "микрорайон",
                "поселок",
                "город",
                "село",
                "деревня",
                "хутор",
                "станица",
                "аул",
                "местечко",
                "разъезд",
                "станция",
                "кордон",
                "пгт",
                "р п",
                "рп",
                "дп",
                "кп",
                "гп",
                "г",
                "гор",
                "п",
                "пос",
                "с",
                "д",
                "дер",
                "х",
                "хут",
                "ст ца",
                "ст",
                "сл",
                "мкр",
                "м н",
                "нп",
                "ж д ст",
                "ж д рзд",
                "рзд",
                "п ст",
            )
        ),
        key=len,
        reverse=True,
    )
)
_TYPES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
_TYPES_BY_LAST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _RU_SETTLEMENT_TYPES:  # longest first
    _TYPES_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)
    _TYPES_BY_LAST.setdefault(_phrase[-1], []).append(_phrase)
# Words naming the kind of a municipality or district, dropped anywhere from its key:
# "Краснокамский район" and "КРАСНОКАМСКИЙ" (type in another column) share a key.
_MUNICIPALITY_WORDS: frozenset[str] = frozenset(
    str.split(
        "район р н муниципальный муниципальное муниципального образование мо мр го "
        "городской городское округ г город сельское поселение сп гп административный "
        "улус кожуун county district borough municipality parish city of"
    )
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"[^\W_]+")
_PARENTHESES = re.compile(r"\([^)]*\)?")
_APOSTROPHES = re.compile(r"['\u2019`\u02bc\u02b9]")
# BGN/PCGN romanisation of Russian (1947), in its plain-ASCII form: no diacritics or
# apostrophes, so the keys are the ones GeoNames and most English maps use ("Nizhniy
# Novgorod", "Salekhard", "Yekaterinburg"). Written by hand: 33 letters plus 'е'
# after vowels and at word start -> "ye" (see `transliterate_cyrillic`).
_RU_LATIN: dict[str, str] = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъыьэюяёіїєґў",
        str.split(
            "a b v g d e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu "
            "ya e i yi ye g u"
        ),
        strict=True,
    )
)
_RU_LATIN = {k: ("" if v == "-" else v) for k, v in _RU_LATIN.items()}
_RU_TABLE = str.maketrans(_RU_LATIN)
_YE = re.compile(r"(?:(?<=[аеёиоуыэюяъьіїє])|(?<![^\W\d_]))[её]")
# Latin letters that NFKD does not split into a base letter and a mark.
_LATIN_EXTRA = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
     "ı": "i", "ß": "ss"}
)  # fmt: skip


def _missing(value: object) -> bool:
    """Tell whether a value is missing (None, NaN, pd.NA or NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _translit_lower(text: str) -> str:
    """Romanise lower-case Cyrillic text; other characters pass through."""
    return _YE.sub("ye", text).translate(_RU_TABLE)


def transliterate_cyrillic(text: str) -> str:
    """Romanise Russian Cyrillic text in the plain-ASCII BGN/PCGN style.

    Parameters
    ----------
    text : str
        Text in any script; only Cyrillic letters are changed.

    Returns
    -------
    str
        The text with Cyrillic letters romanised: ``ж`` -> ``zh``, ``х`` -> ``kh``,
        ``ц`` -> ``ts``, ``ч`` -> ``ch``, ``ш`` -> ``sh``, ``щ`` -> ``shch``, ``й`` and
        ``ы`` -> ``y``, ``ю`` -> ``yu``, ``я`` -> ``ya``, ``ъ`` and ``ь`` dropped;
        ``е`` (and ``ё``) -> ``ye`` at the start of a word and after a vowel, ``ъ`` or
        ``ь``, else ``e``. Words in capitals stay in capitals, a capital initial stays.

    Notes
    -----
    BGN/PCGN rather than GOST 7.79-B because GeoNames and English-language sources
    use it (GOST writes ``Nizhnij``, ``Ekaterinburg``); ``ё`` is read as ``е`` since
    registries rarely print the dots. A hand table (no dependency): ``unidecode``
    follows neither system (``Нижний`` -> ``Nizhnii``).

    Examples
    --------
    >>> transliterate_cyrillic("Нижний Новгород, ЕКАТЕРИНБУРГ, Заозерье")
    'Nizhniy Novgorod, YEKATERINBURG, Zaozerye'
    """
    out = []
    for part in re.split(r"([^\W\d_]+)", str(text)):
        if not part or not _CYRILLIC.search(part):
            out.append(part)
            continue
        latin = _translit_lower(part.lower())
        if part.isupper():
            latin = latin.upper()
        elif part[0].isupper():
            latin = latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def _latin_token(token: str) -> str:
    """ASCII form of one casefolded token (accents removed, Cyrillic romanised)."""
    if _CYRILLIC.search(token):
        token = _translit_lower(token)
    folded = unicodedata.normalize("NFKD", token.translate(_LATIN_EXTRA))
    return folded.encode("ascii", "ignore").decode("ascii")


def _strip_types(tokens: list[str]) -> list[str]:
    """Drop Russian settlement-type words before and after a name."""
    while True:
        for phrase in _TYPES_BY_FIRST.get(tokens[0], ()) if tokens else ():
            k = len(phrase)
            if len(tokens) > k and tuple(tokens[:k]) == phrase:
                tokens = tokens[k:]
                break
        else:
            for phrase in _TYPES_BY_LAST.get(tokens[-1], ()) if tokens else ():
                k = len(phrase)
                if len(tokens) > k and tuple(tokens[-k:]) == phrase:
                    tokens = tokens[:-k]
                    break
            else:
                return tokens


def _tokens(text: object) -> list[str]:
    """Casefolded words of a place name, 'ё' read as 'е', parentheses removed."""
    if _missing(text):
        return []
    folded = unicodedata.normalize("NFC", str(text)).casefold().replace("ё", "е")
    folded = _APOSTROPHES.sub("", _PARENTHESES.sub(" ", folded))
    return _TOKEN.findall(folded)


def normalise_place(text: object) -> str:
    """Normalise a settlement name for matching, in any script.

    Parameters
    ----------
    text : object
        A place name as written (any object; ``None`` and NaN are allowed).

    Returns
    -------
    str
        Casefolded ASCII words separated by single spaces: accents, punctuation and
        parenthesised remarks removed; Cyrillic romanised with
        `transliterate_cyrillic` (``ё`` read as ``е``) so that a Cyrillic name and
        its BGN/PCGN spelling share a key; Russian settlement types dropped
        (``г.``, ``пос.``, ``с.``, ``д.``, ``рп``, ``поселок городского типа``, ...);
        Latin abbreviations expanded (``mt`` -> ``mount``, ``ft`` -> ``fort``,
        ``twp`` -> ``township``, ...; ``st``/``st.`` -> ``saint`` only as the first
        word of a longer name). ``""`` for ``None``, NaN or blank text.

    Examples
    --------
    >>> normalise_place("  St. Simons   Isl. "), normalise_place("г. Берёзовка")
    ('saint simons island', 'berezovka')
    """
    if _missing(text):
        return ""
    return _place_key(str(text))


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_ASCII_PARENS = re.compile(r"\([^)]*\)?")


@lru_cache(maxsize=1 << 20)
def _place_key(text: str) -> str:
    """`normalise_place` of a string, remembered: gazetteers repeat names."""
    if text.isascii():  # fast path: no accents, no Cyrillic
        lower = _ASCII_PARENS.sub(" ", text.lower()).replace("'", "").replace("`", "")
        words = _ASCII_WORD.findall(lower)
        if not words:
            return ""
        out = [_ABBREVIATIONS.get(w, w) for w in words]
        if len(words) > 1 and words[0] in _LEADING:
            out[0] = _LEADING[words[0]]
        return " ".join(out)
    raw = _tokens(text)
    if not raw:
        return ""
    raw = _strip_types(raw)
    words = [_latin_token(t) for t in raw]
    keep = [w != "" for w in words]
    words = [w for w, k in zip(words, keep, strict=True) if k]
    if not words:
        return ""
    latin = [not _CYRILLIC.search(t) for t, k in zip(raw, keep, strict=True) if k]
    out = [
        _ABBREVIATIONS.get(w, w) if lat else w
        for w, lat in zip(words, latin, strict=True)
    ]
    if len(words) > 1 and latin[0] and words[0] in _LEADING:
        out[0] = _LEADING[words[0]]
    return " ".join(out)


def _municipality_key(text: object) -> str:
    """Key of a district or municipality name without its kind ('район', 'county')."""
    words = [t for t in _tokens(text) if t not in _MUNICIPALITY_WORDS]
    return " ".join(w for w in (_latin_token(t) for t in words) if w)


_ADDRESS_WORDS: dict[str, str] = {
    # Russian
    "г": "город", "гор": "город", "ул": "улица", "пр": "проспект",
    "просп": "проспект", "пр-т": "проспект", "пр-кт": "проспект", "пр-д": "проезд",
    "пер": "переулок", "пл": "площадь", "наб": "набережная", "ш": "шоссе",
    "б-р": "бульвар", "бул": "бульвар", "пос": "поселок", "п": "поселок",
    "пгт": "поселок городского типа", "рп": "рабочий поселок", "с": "село",
    "дер": "деревня", "обл": "область", "р-н": "район", "кв": "квартира",
    "оф": "офис", "стр": "строение", "корп": "корпус", "мкр": "микрорайон",
    "тер": "территория", "респ": "республика",
    # English
    "ave": "avenue", "av": "avenue", "rd": "road", "blvd": "boulevard",
    "dr": "drive", "ln": "lane", "ct": "court", "sq": "square", "hwy": "highway",
    "pkwy": "parkway", "fl": "floor", "apt": "apartment", "mt": "mount",
    "ft": "fort",
}  # fmt: skip
_DIRECTIONS = {"n": "north", "s": "south", "e": "east", "w": "west"}


def _expand_address_component(words: list[str]) -> list[str]:
    out = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "д":  # "д. 5" is a house number, "д. Кодочиги" a village
            out.append("дом" if nxt[:1].isdigit() else "деревня")
        elif word == "st":  # "St Louis" is a saint, "Main St" a street
            out.append(
                "saint" if i == 0 and nxt and not nxt[:1].isdigit() else "street"
            )
        elif word == "ste":
            out.append("suite" if nxt[:1].isdigit() else "sainte")
        elif word in _DIRECTIONS and nxt and i + 1 < len(words):
            out.append(_DIRECTIONS[word])
        else:
            out.append(_ADDRESS_WORDS.get(word, word))
    return out


def normalise_address(text: object) -> str:
    """Normalise free address text: case, spacing, 'ё' and common abbreviations.

    Parameters
    ----------
    text : object
        An address line as written (any script; ``None`` and NaN are allowed).

    Returns
    -------
    str
        Casefolded, ``ё`` read as ``е``, comma-separated parts with single spaces,
        abbreviations written out in the address's own language (``ул.`` ->
        ``улица``, ``г.`` -> ``город``, ``д. 5`` -> ``дом 5`` but ``д. Кодочиги``
        -> ``деревня кодочиги``, ``пос.`` -> ``поселок``; ``Ave`` -> ``avenue``,
        ``Main St`` -> ``main street`` but ``St Louis`` -> ``saint louis``,
        ``Ste 1250`` -> ``suite 1250``, ``E 42nd`` -> ``east 42nd``). No
        transliteration: online geocoders read every script. ``""`` when blank.
        Used as the key of the online geocoders' cache, so that two spellings of
        one address cost one request.

    Examples
    --------
    >>> normalise_address("г. Пермь,  ул. Ленина, д. 5")
    'город пермь, улица ленина, дом 5'
    >>> normalise_address("2100 McKinney Ave Ste 1250, Dallas")
    '2100 mckinney avenue suite 1250, dallas'
    """
    if _missing(text):
        return ""
    folded = unicodedata.normalize("NFC", str(text)).casefold().replace("ё", "е")
    parts = []
    for component in folded.split(","):
        words = re.findall(r"[^\W_](?:[\w/#]|-(?=\w))*", component)
        words = [w.rstrip(".") for w in words]
        if words:
            parts.append(" ".join(_expand_address_component(words)))
    return ", ".join(parts)


# --- postcodes ------------------------------------------------------------------------
def _digits_to_zip(digits: str) -> str | None:
    """Five-digit ZIP from a digit string that may have lost its leading zeros."""
    if len(digits) <= 5:
        return digits.zfill(5)
    if 7 <= len(digits) <= 9:  # ZIP+4 written as a number: 00501-0001 -> 5010001
        return digits.zfill(9)[:5]
    return None


def _country(country: str) -> str:
    code = str(country).strip().upper()
    if code not in SUPPORTED_POSTCODE_COUNTRIES:
        raise ValueError(
            f"country {country!r} is not supported for postcodes; use one of "
            f"{list(SUPPORTED_POSTCODE_COUNTRIES)}"
        )
    return code


def normalise_postcode(value: object, *, country: str = "US") -> str | None:
    """Normalise a postal code to its canonical text, or ``None`` when it is not one.

    Parameters
    ----------
    value : object
        The code as read: text, an integer or a float that spreadsheet software made of
        it (``2134.0``), ``None`` or NaN.
    country : str
        ``"US"`` (5-digit ZIP) or ``"RU"`` (6-digit postal index); case-insensitive.

    Returns
    -------
    str or None
        US: the 5-digit ZIP. ZIP+4 (``"30720-1234"``, ``"307201234"``,
        ``"30720 1234"``) gives its first 5 digits; codes that lost leading zeros
        (``"2134"``, ``2134``, ``2134.0``) are zero-padded. RU: exactly 6 digits.
        ``None`` for anything else. Only the format is checked, not whether the code
        exists (``"00000"`` is returned as is).

    Raises
    ------
    ValueError
        If ``country`` is not supported.

    Examples
    --------
    >>> [normalise_postcode(v) for v in ["30720-1234", 2134.0, " 30301 ", "ABC", None]]
    ['30720', '02134', '30301', None, None]
    """
    code = _country(country)
    if _missing(value) or isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Integral):
        digits = str(int(value)) if int(value) >= 0 else ""
    elif isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number) or number < 0 or number != math.floor(number):
            return None
        digits = str(int(number))
    else:
        text = str(value).strip()
        if code == "US":
            plus4 = re.fullmatch(r"(\d{1,5})[-\s](\d{4})", text)
            if plus4:
                return plus4.group(1).zfill(5)
        whole = re.fullmatch(r"(\d+)(?:\.0*)?", text)
        digits = whole.group(1) if whole else ""
    if not digits:
        return None
    if code == "RU":
        return digits if len(digits) == 6 else None
    return _digits_to_zip(digits)


# --- column helpers -------------------------------------------------------------------
def _map_unique(
    values: pd.Series,
    func: Callable[[object], object],
    vectorised: Callable[[pd.Series], pd.Series] | None = None,
) -> np.ndarray:
    """Apply ``func`` once per distinct value (missing values included) of a Series;
    ``vectorised`` (a Series-in, Series-out equivalent of ``func``) is used instead
    when every distinct value is a string."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    if vectorised is not None and pd.api.types.infer_dtype(uniques) == "string":
        done = vectorised(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
        mapped[:-1] = done.to_numpy(dtype=object)
        mapped[-1] = func(None)
    else:
        mapped[:] = [func(u) for u in uniques] + [func(None)]
    return mapped[codes]  # code -1 (missing) picks the last element, func(None)


def _text(values: pd.Series, *, upper: bool = False) -> np.ndarray:
    """Return stripped text per row; missing values become ``""``."""

    def clean(v: object) -> str:
        text = "" if _missing(v) else str(v).strip()
        return text.upper() if upper else text

    def clean_all(texts: pd.Series) -> pd.Series:
        texts = texts.str.strip()
        return texts.str.upper() if upper else texts

    return _map_unique(values, clean, clean_all)


def _postcodes_vectorised(texts: pd.Series, country: str) -> pd.Series:
    """`normalise_postcode` of a Series of strings, with pandas string methods."""
    text = texts.str.strip()
    out = pd.Series([None] * len(texts), index=texts.index, dtype=object)
    whole = text.str.extract(r"^(\d+)(?:\.0*)?$", expand=False)
    digits = whole.where(whole.notna(), "")
    size = digits.str.len()
    if country == "RU":
        ok = size == 6
        out[ok] = digits[ok]
        return out
    short = (size >= 1) & (size <= 5)
    out[short] = digits[short].str.zfill(5)
    long = (size >= 7) & (size <= 9)
    out[long] = digits[long].str.zfill(9).str[:5]
    plus4 = text.str.extract(r"^(\d{1,5})[-\s]\d{4}$", expand=False)
    has4 = plus4.notna()
    out[has4] = plus4[has4].str.zfill(5)
    return out


def _postcodes(values: pd.Series, country: str) -> np.ndarray:
    """`normalise_postcode` per row (``None`` when not a postcode)."""
    return _map_unique(
        values,
        lambda v: normalise_postcode(v, country=country),
        lambda texts: _postcodes_vectorised(texts, country),
    )


def _numbers(values: pd.Series) -> np.ndarray:
    """Return a float per row; missing or unparsable values become NaN."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.to_numeric(values, errors="coerce").to_numpy(float, na_value=np.nan)
    return pd.to_numeric(pd.Series(_text(values)), errors="coerce").to_numpy(
        float, na_value=np.nan
    )


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the frame lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _require_frame(frame: object, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame; got {type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it has {list(frame.columns)[:10]}. "
            "Rename the columns to the names of docs/data-contract.md."
        )


def _in_range(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90)
        return ok & (np.abs(lon) <= 180) & ~((lat == 0) & (lon == 0))


# --- gazetteer tables -----------------------------------------------------------------
_COUNTRY_NAMES: dict[str, frozenset[str]] = {
    "US": frozenset(
        {"US", "USA", "U.S.A.", "UNITED STATES", "UNITED STATES OF AMERICA"}
    ),
    "RU": frozenset({"RU", "RUS", "RUSSIA", "RUSSIAN FEDERATION", "РОССИЯ", "РФ"}),
}


def _abroad(country: np.ndarray, code: str) -> np.ndarray:
    """Rows whose ``country`` is given and is not the postcode tier's country."""
    return (country != "") & ~np.isin(country, list(_COUNTRY_NAMES[code]))


def _postcode_table(postcodes: pd.DataFrame, country: str) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "_postcode": _postcodes(postcodes["postcode"], country),
            "_plat": _numbers(postcodes["lat"]),
            "_plon": _numbers(postcodes["lon"]),
        }
    )
    table = table[table["_postcode"].notna() & np.isfinite(table["_plat"])]
    dup = table["_postcode"].duplicated()
    if dup.any():
        raise ValueError(
            f"postcodes has {int(dup.sum())} duplicated postcode(s), e.g. "
            f"{table.loc[dup, '_postcode'].head(5).tolist()}; a gazetteer needs one "
            "point per postcode: aggregate them first, e.g. "
            "postcodes.groupby('postcode', as_index=False)[['lat', 'lon']].mean()."
        )
    return table


def _settlement_table(settlements: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Gazetteer rows with matching keys, largest first within each key, and the
    column that told their size (``"population"``, ``"n_postcodes"`` or ``""``)."""
    label = next((c for c in ("population", "n_postcodes") if c in settlements), "")
    size = _numbers(settlements[label]) if label else np.zeros(len(settlements))
    table = pd.DataFrame(
        {
            "_state": _text(settlements["state"], upper=True),
            "_key": _map_unique(settlements["settlement"], normalise_place),
            "_tmkey": _map_unique(
                _column(settlements, "municipality"), _municipality_key
            ),
            "_name": _text(settlements["settlement"]),
            "_slat": _numbers(settlements["lat"]),
            "_slon": _numbers(settlements["lon"]),
            "_pop": np.nan_to_num(size, nan=0.0),
        }
    )
    table = table[(table["_key"] != "") & _in_range(table["_slat"], table["_slon"])]
    table = table.sort_values(["_state", "_key", "_pop"], ascending=[True, True, False])
    return table.reset_index(drop=True), label


def _states_text(states: Sequence[str]) -> str:
    shown = sorted(set(states))
    return ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "")


def _resolve(queries: pd.DataFrame, table: pd.DataFrame, size: str) -> pd.DataFrame:
    """Choose one gazetteer place for each query (``_qid``, ``_state``, ``_key``,
    ``_mkey``, ``_raw``, ``_mraw``): same key, within the state when one is given;
    among several, those in the firm's municipality, then the largest by ``size``
    (``"population"``, ``"n_postcodes"`` or ``""``: the gazetteer's first).

    Returns one row per query that has candidates: ``_qid``, ``_lat``, ``_lon``,
    ``_caveat`` (why the choice is uncertain, else ``""``) and ``_why`` (why there is
    no choice: candidates in several states; else ``""``).
    """
    cols = ["_qid", "_state", "_key", "_mkey", "_raw", "_mraw"]
    given = queries[queries["_state"] != ""][cols]
    free = queries[queries["_state"] == ""][cols].drop(columns="_state")
    cand = pd.concat(
        [
            given.merge(table, on=["_state", "_key"], how="inner"),
            free.merge(table, on="_key", how="inner"),
        ],
        ignore_index=True,
    )
    if cand.empty:
        return pd.DataFrame(columns=["_qid", "_lat", "_lon", "_caveat", "_why"])
    grouped = cand.groupby("_qid", sort=False)
    n_states = grouped["_state"].transform("nunique")
    same = pd.Series(
        _same_municipality(cand["_tmkey"].to_numpy(), cand["_mkey"].to_numpy()),
        index=cand.index,
    )
    has_same = same.groupby(cand["_qid"]).transform("any")
    pool = cand[(same | ~has_same) & (n_states == 1)]
    pool = pool.sort_values(["_qid", "_pop"], ascending=[True, False], kind="stable")
    first = pool.drop_duplicates("_qid").set_index("_qid")
    far = (
        (pool["_slat"] - pool["_qid"].map(first["_slat"])).abs() > AMBIGUITY_DEGREES
    ) | ((pool["_slon"] - pool["_qid"].map(first["_slon"])).abs() > AMBIGUITY_DEGREES)
    n_far = far.groupby(pool["_qid"]).sum()
    narrowed = has_same.groupby(cand["_qid"]).first()
    out = pd.DataFrame(
        {
            "_lat": first["_slat"],
            "_lon": first["_slon"],
            "_caveat": "",
            "_why": "",
        }
    )
    for qid in n_far.index[n_far.to_numpy() > 0]:
        row = first.loc[qid]
        where = row["_state"] + (
            f", municipality {row['_mraw']!r}" if narrowed.at[qid] else ""
        )
        took = {
            "population": f"the most populous ({row['_name']!r}, population "
            f"{int(row['_pop']):,})",
            "n_postcodes": f"the one with most postcodes ({row['_name']!r}, "
            f"{int(row['_pop']):,})",
        }.get(size, f"the first listed ({row['_name']!r})")
        count = int(n_far.at[qid]) + 1
        note = f"{count} places named {row['_raw']!r} in {where}; took {took}"
        if row["_mkey"] != "" and not narrowed.at[qid]:
            note += f"; municipality {row['_mraw']!r} matched none of them"
        out.at[qid, "_caveat"] = note
    multi = cand[n_states > 1].groupby("_qid", sort=False)
    for qid, rows in multi:
        out.loc[qid] = [
            np.nan,
            np.nan,
            "",
            f"settlement {rows['_raw'].iloc[0]!r} is in {rows['_state'].nunique()} "
            f"states ({_states_text(rows['_state'])}); give the state",
        ]
    return out.rename_axis("_qid").reset_index()


def _same_municipality(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two municipality keys name one municipality: equal, or sharing a stem
    ("dobryanka" the town and "dobryanskiy" its district; "krasnogorsk" and
    "krasnogorskiy"): both at least 5 letters and equal up to the shorter one's
    length less 3 letters (at least 5)."""
    out = np.zeros(len(a), dtype=bool)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if not x or not y:
            continue
        if x == y:
            out[i] = True
        elif min(len(x), len(y)) >= 5:
            k = max(5, min(len(x), len(y)) - 3)
            out[i] = x[:k] == y[:k]
    return out


def _fuzzy_keys(
    pairs: pd.DataFrame, table: pd.DataFrame, min_score: float
) -> pd.DataFrame:
    """Best fuzzy gazetteer key for each unique (``_state``, ``_key``) pair.

    Returns ``pairs`` with ``_fkey`` (``""`` unless accepted), ``_fscore`` (0..1) and
    ``_fnote`` (why not accepted, else ``""``).
    """
    keys = table.drop_duplicates(["_state", "_key"])
    choices = {s: g["_key"].tolist() for s, g in keys.groupby("_state", sort=False)}
    names = {s: g["_name"].tolist() for s, g in keys.groupby("_state", sort=False)}
    every = table.drop_duplicates("_key")
    choices[""], names[""] = every["_key"].tolist(), every["_name"].tolist()
    rows = []
    for state, key in zip(pairs["_state"], pairs["_key"], strict=True):
        if state not in choices:
            rows.append(("", np.nan, f"no settlements in {state}"))
            continue
        found = process.extract(
            key, choices[state], scorer=fuzz.token_sort_ratio, processor=None, limit=2
        )
        if not found:
            rows.append(("", np.nan, "no settlements to compare with"))
            continue
        best_key, score, where = found[0]
        if score < min_score:
            note = (
                f"best fuzzy {names[state][where]!r} {math.floor(score)} < "
                f"{min_score:g}"
            )
        elif len(found) > 1 and found[1][1] == score:
            note = (
                f"fuzzy tie at {math.floor(score)} between {best_key!r} and "
                f"{found[1][0]!r}; add the postcode"
            )
        else:
            rows.append((best_key, score / 100.0, ""))
            continue
        rows.append(("", np.nan, note))
    out = pd.DataFrame(rows, columns=["_fkey", "_fscore", "_fnote"])
    return pd.concat([pairs.reset_index(drop=True), out], axis=1)


# --- the geocoder ---------------------------------------------------------------------
def _check_tiers(tiers: Sequence[str] | str) -> list[str]:
    order = list(tiers) if not isinstance(tiers, str) else [tiers]
    unknown = [t for t in order if t not in TIERS]
    if unknown or not order:
        raise ValueError(
            f"unknown geocoding tier(s) {unknown or order}; valid tiers are "
            f"{list(TIERS)}, tried in the order given"
        )
    if len(set(order)) != len(order):
        raise ValueError(f"tiers {order} repeats a tier; give each tier at most once")
    return order


def _online_queries(firms: pd.DataFrame) -> np.ndarray:
    """One free-text query per firm: address, settlement, municipality, postcode,
    state (when it is a name, not a numeric code), region name, country."""
    parts = [
        _text(_column(firms, c))
        for c in ("address", "settlement", "municipality", "postcode")
    ]
    state = _text(_column(firms, "state"))
    state = np.where([s.isdigit() for s in state], "", state)
    parts += [state, _text(_column(firms, "region_name"))]
    parts += [_text(_column(firms, "country"))]
    return np.array(
        [", ".join(p for p in row if p) for row in zip(*parts, strict=True)],
        dtype=object,
    )


def geocode_firms(
    firms: pd.DataFrame,
    *,
    postcodes: pd.DataFrame | None = None,
    settlements: pd.DataFrame | None = None,
    tiers: Sequence[str] = DEFAULT_TIERS,
    fuzzy_min_score: float = 90.0,
    postcode_country: str = "US",
    region: str = "state",
    state_aliases: Mapping[str, str] | None = None,
    region_centroids: pd.DataFrame | None = None,
    region_centroid_score: float = 0.1,
    online: Callable[[Sequence[str]], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Locate firms by coordinates, postcode, settlement or region, tier by tier.

    Parameters
    ----------
    firms : pandas.DataFrame
        ``firm_id`` and the columns the tiers read: ``lat``/``lon`` (coordinates),
        ``postcode``, ``settlement`` with optional ``state`` and ``municipality``
        (settlement tiers; see ``region``), ``state`` (region centroid), any of
        ``address``, ``settlement``, ``municipality``, ``postcode``, ``state``,
        ``region_name``, ``country`` (online; a numeric ``state`` is not sent), and
        optionally ``country`` (the postcode tier skips firms of another country).
        Text as read or typed; empty or NaN when unknown. Not modified.
    postcodes : pandas.DataFrame, optional
        Postcode gazetteer for the postcode tier: ``postcode``, ``lat``, ``lon``
        (WGS84), one row per postcode (e.g. `data_sources.gazetteer.us_zip_gazetteer`).
    settlements : pandas.DataFrame, optional
        Settlement gazetteer for the settlement tiers: ``state``, ``settlement``,
        ``lat``, ``lon`` and optionally ``municipality`` and ``population`` (or
        ``n_postcodes``), e.g. `settlements_from_postcodes` or
        `data_sources.gazetteer.read_settlement_gazetteer`. Several rows may share a
        name: the firm's municipality, then population, decide.
    tiers : sequence of str
        Tiers to try, in order; each firm gets the first that matches. Valid:
        ``"coordinates"``, ``"postcode"``, ``"settlement"``, ``"fuzzy_settlement"``,
        ``"online"``, ``"region_centroid"``.
    fuzzy_min_score : float
        Lowest rapidfuzz score (0..100) a fuzzy settlement match needs.
    postcode_country : str
        Postcode format of the postcode tier (see `normalise_postcode`).
    region : str
        The firm column naming the region its settlement lies in and whose centroid
        is its last resort, compared with the gazetteers' ``state``: ``"state"``
        (a US state, a Russian region code) or e.g. ``"country"`` with
        `data_sources.gazetteer.geonames_gazetteer`, whose regions are countries.
    state_aliases : mapping of str to str, optional
        Firm ``region`` as written (case-insensitive) -> the gazetteer's state code,
        e.g. ``{"Netherlands": "NL"}``; values not in it are used as written.
    region_centroids : pandas.DataFrame, optional
        For the region_centroid tier: ``state``, ``lat``, ``lon`` (WGS84), one row per
        state code (e.g. `region_centroids`).
    region_centroid_score : float
        ``match_score`` of a region-centroid match (0..1).
    online : callable, optional
        For the online tier: takes a list of distinct query texts and returns a
        DataFrame aligned to it with ``lat``, ``lon``, ``score`` (0..1) and ``reason``
        (why there is no answer), e.g. ``OnlineGeocoder.lookup_many`` from
        `data_sources.online_geocoder`. Only firms no earlier tier matched are asked.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``firms.index``: ``firm_id``, ``lon``, ``lat`` (WGS84; NaN when
        unmatched), ``match_level`` (the tier, or ``"unmatched"``), ``match_score``
        (1.0 for exact tiers, score/100 for fuzzy, `MUNICIPALITY_FALLBACK_SCORE` at a
        municipality, ``region_centroid_score``, the provider's for online, 0.0
        unmatched) and ``match_reason``: for unmatched firms why every tier failed;
        for matched ones a caveat (an ambiguous name, a municipality fallback) or
        ``""``.

    Raises
    ------
    TypeError
        If an input is not a DataFrame, or ``online`` is not callable.
    ValueError
        If a tier is unknown or repeated, a column a tier reads is missing, a tier's
        gazetteer is not given, ``fuzzy_min_score`` is outside 0..100,
        ``region_centroid_score`` outside 0..1, or a postcode occurs twice in
        ``postcodes``.

    Notes
    -----
    The coordinates tier takes finite ``lat`` in [-90, 90] and ``lon`` in
    [-180, 180], except (0, 0), a common placeholder for "unknown". Postcodes are
    compared after `normalise_postcode`, settlement names after `normalise_place`
    (so Cyrillic firms match a Latin gazetteer and the reverse), within the firm's
    state when it is given; without a state a name must lie in one state only.
    Among same-named places the one in the firm's ``municipality`` (compared without
    words like "район", "county") wins, then the most populous; ``match_reason``
    says so when they are more than `AMBIGUITY_DEGREES` apart. A settlement missing
    from the gazetteer whose municipality is itself a settlement of that
    municipality (a city's micro-district) is placed there. Fuzzy matching scores
    only the distinct unmatched (state, name) pairs against that state's names with
    ``rapidfuzz.fuzz.token_sort_ratio``: it ignores word order but, unlike
    ``WRatio``, does not reward a name for being part of a longer one
    (``WRatio("mount", "mount airy")`` is 90). A tie between two names is not a
    match.

    Examples
    --------
    >>> pc = pd.DataFrame({"postcode": ["30720"], "lat": [34.77], "lon": [-84.97]})
    >>> st = pd.DataFrame({"state": ["GA"], "settlement": ["Dalton"],
    ...                    "lat": [34.77], "lon": [-84.97]})
    >>> firms = pd.DataFrame({"firm_id": ["a", "b", "c", "d"],
    ...     "settlement": ["", "", "Daltn", "Atlantis"],
    ...     "postcode": ["", "30720-1234", "", "00000"], "state": "GA",
    ...     "lat": ["34.5", "", "", ""], "lon": ["-84.1", "", "", ""]})
    >>> out = geocode_firms(firms, postcodes=pc, settlements=st)
    >>> out["match_level"].tolist()
    ['coordinates', 'postcode', 'fuzzy_settlement', 'unmatched']
    >>> out["match_score"].round(3).tolist()
    [1.0, 1.0, 0.909, 0.0]
    >>> print(out["match_reason"].iloc[3])
    no coordinates; no postcode '00000' in gazetteer; no settlement 'Atlantis' in GA (best fuzzy 'Dalton' 42 < 90)
    """  # noqa: E501
    order = _check_tiers(tiers)
    if not 0 <= float(fuzzy_min_score) <= 100:
        raise ValueError(
            f"fuzzy_min_score must be a rapidfuzz score between 0 and 100; got "
            f"{fuzzy_min_score}"
        )
    if not 0 <= float(region_centroid_score) <= 1:
        raise ValueError(
            f"region_centroid_score must be between 0 and 1; got "
            f"{region_centroid_score}"
        )
    needs = {
        "coordinates": ["lat", "lon"],
        "postcode": ["postcode"],
        "settlement": ["settlement"],
        "fuzzy_settlement": ["settlement"],
        "region_centroid": [region],
        "online": [],
    }
    columns = ["firm_id"] + [c for t in order for c in needs[t]]
    _require_frame(firms, "firms", list(dict.fromkeys(columns)))
    place_columns = ["state", "settlement", "lat", "lon"]
    gazetteers = {
        "postcode": ("postcodes", postcodes, ["postcode", "lat", "lon"]),
        "settlement": ("settlements", settlements, place_columns),
        "fuzzy_settlement": ("settlements", settlements, place_columns),
        "region_centroid": (
            "region_centroids",
            region_centroids,
            ["state", "lat", "lon"],
        ),
    }
    for tier in order:
        if tier in gazetteers:
            name, frame, cols = gazetteers[tier]
            if frame is None:
                raise ValueError(
                    f"tier {tier!r} needs {name}=...; pass a gazetteer frame with "
                    f"columns {cols} or drop the tier"
                )
            _require_frame(frame, name, cols)
    if "online" in order and not callable(online):
        raise TypeError(
            f"tier 'online' needs online=<callable taking query texts>; got "
            f"{type(online).__name__}. Pass OnlineGeocoder(...).lookup_many or drop "
            "the tier."
        )
    country = _country(postcode_country)

    n = len(firms)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    level = np.full(n, "unmatched", dtype=object)
    score = np.zeros(n)
    caveat = np.full(n, "", dtype=object)
    open_ = np.ones(n, dtype=bool)  # not yet matched
    notes: list[np.ndarray] = []  # per tier: why it failed (object array of str)

    def assign(mask, la, lo, tier, sc, cav=None) -> None:
        lat[mask], lon[mask], score[mask] = la[mask], lo[mask], sc[mask]
        level[mask] = tier
        if cav is not None:
            caveat[mask] = cav[mask]
        open_[mask] = False

    ones = np.ones(n)
    aliases = {str(k).strip().upper(): str(v) for k, v in (state_aliases or {}).items()}
    state = _text(_column(firms, region), upper=True)
    if aliases:
        state = np.array([aliases.get(s, s) for s in state], dtype=object)
    settled = None  # (exact notes, lat, lon, caveat) of the settlement tiers

    for tier in order:
        note = np.full(n, "", dtype=object)
        if tier == "coordinates":
            fla, flo = _numbers(firms["lat"]), _numbers(firms["lon"])
            given = np.isfinite(fla) & np.isfinite(flo)
            ok = _in_range(fla, flo)
            null_island = given & (fla == 0) & (flo == 0)
            assign(ok & open_, fla, flo, tier, ones)
            note[:] = "no coordinates"
            bad = given & ~ok & ~null_island
            note[bad] = [
                f"coordinates out of range (lat={a:g}, lon={b:g})"
                for a, b in zip(fla[bad], flo[bad], strict=True)
            ]
            note[null_island] = "coordinates (0, 0) taken as a placeholder"
        elif tier == "postcode":
            table = _postcode_table(postcodes, country)
            norm = _postcodes(firms["postcode"], country)
            raw_pc = _text(firms["postcode"])
            found = pd.DataFrame({"_postcode": norm}).merge(
                table, on="_postcode", how="left"
            )
            pla = found["_plat"].to_numpy(float, copy=True)
            plo = found["_plon"].to_numpy(float)
            abroad = _abroad(_text(_column(firms, "country"), upper=True), country)
            pla[abroad] = np.nan
            assign(np.isfinite(pla) & open_, pla, plo, tier, ones)
            is_blank = raw_pc == ""
            invalid = ~is_blank & pd.isna(norm)
            kind = "US ZIP" if country == "US" else f"{country} postcode"
            note[is_blank] = "no postcode"
            note[invalid] = [
                f"postcode {p!r} is not a valid {kind}" for p in raw_pc[invalid]
            ]
            absent = ~is_blank & ~invalid & ~np.isfinite(pla)
            note[absent] = [f"no postcode {p!r} in gazetteer" for p in norm[absent]]
            note[abroad & ~is_blank] = f"postcodes are looked up in {country} only"
        elif tier in ("settlement", "fuzzy_settlement"):
            if settled is None:
                settled = _SettlementMatcher(firms, state, settlements)
            if tier == "settlement":
                m = settled.exact()
                assign(m.ok & open_, m.lat, m.lon, tier, m.score, m.caveat)
                note = m.note
            else:
                m = settled.fuzzy(open_, float(fuzzy_min_score))
                assign(m.ok & open_, m.lat, m.lon, tier, m.score, m.caveat)
                note = m.note
        elif tier == "region_centroid":
            cent = pd.DataFrame(
                {
                    "_state": _text(region_centroids["state"], upper=True),
                    "_clat": _numbers(region_centroids["lat"]),
                    "_clon": _numbers(region_centroids["lon"]),
                }
            ).drop_duplicates("_state")
            got = pd.DataFrame({"_state": state}).merge(cent, on="_state", how="left")
            cla, clo = got["_clat"].to_numpy(float), got["_clon"].to_numpy(float)
            ok = _in_range(cla, clo)
            assign(ok & open_, cla, clo, tier, np.full(n, float(region_centroid_score)))
            note[state == ""] = "no state for a region centroid"
            rest = ~ok & (state != "")
            note[rest] = [f"no region centroid for state {s!r}" for s in state[rest]]
        else:  # online
            todo = open_.copy()
            queries = _online_queries(firms)
            note[todo & (queries == "")] = "online: nothing to ask"
            todo &= queries != ""
            if todo.any():
                distinct = pd.unique(queries[todo])
                answers = online(list(distinct))
                _require_frame(
                    answers, "online answers", ["lat", "lon", "score", "reason"]
                )
                if len(answers) != len(distinct):
                    raise ValueError(
                        f"online answered {len(answers)} rows for {len(distinct)} "
                        "queries; it must return one row per query, in order"
                    )
                idx = pd.Index(distinct).get_indexer(queries)
                pick = np.where(todo, idx, -1)
                ala = np.where(pick >= 0, _numbers(answers["lat"])[pick], np.nan)
                alo = np.where(pick >= 0, _numbers(answers["lon"])[pick], np.nan)
                asc = np.where(pick >= 0, _numbers(answers["score"])[pick], np.nan)
                why = _text(answers["reason"])
                ok = todo & _in_range(ala, alo)
                assign(ok, ala, alo, tier, np.clip(np.nan_to_num(asc, nan=0.0), 0, 1))
                bad = todo & ~ok
                note[bad] = [
                    f"online: {why[i] or 'no usable answer'}" for i in pick[bad]
                ]
        notes.append(note)

    reason = caveat.copy()
    # unmatched firms: why every tier failed; firms placed by a last resort (online,
    # region centroid): why the tiers before it failed
    coarse = np.isin(level, ["online", "region_centroid"])
    explain = open_ | coarse
    if explain.any():
        drop = None
        if "settlement" in order and "fuzzy_settlement" in order:
            # the fuzzy note repeats the exact one with the fuzzy detail: keep only it
            drop = order.index("settlement")
        rank = np.full(n, len(order))
        for i, tier in enumerate(order):
            rank[level == tier] = i
        acc = np.full(int(explain.sum()), "", dtype=object)
        for i, note in enumerate(notes):
            if i == drop:
                continue
            part = np.where(rank[explain] > i, note[explain], "")
            joined = np.where(acc == "", part, acc + "; " + part)
            acc = np.where(part == "", acc, joined)
        reason[explain] = acc

    return pd.DataFrame(
        {
            "firm_id": firms["firm_id"].to_numpy(),
            "lon": lon,
            "lat": lat,
            "match_level": level,
            "match_score": score,
            "match_reason": reason,
        },
        index=firms.index,
    )


class _Match:
    """Per-firm result of one settlement tier."""

    def __init__(self, n: int) -> None:
        self.lat = np.full(n, np.nan)
        self.lon = np.full(n, np.nan)
        self.score = np.ones(n)
        self.caveat = np.full(n, "", dtype=object)
        self.note = np.full(n, "", dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return np.isfinite(self.lat)


class _SettlementMatcher:
    """Exact and fuzzy settlement matching on the distinct (state, name, municipality)
    triples of the firms; results are spread back to the firms by position."""

    def __init__(
        self, firms: pd.DataFrame, state: np.ndarray, settlements: pd.DataFrame
    ) -> None:
        self.table, self.size = _settlement_table(settlements)
        # distinct (state, settlement, municipality) triples by integer codes: fast
        st_codes, st_values = _factor(pd.Series(state, dtype=object))
        s_codes, s_values = _factor(firms["settlement"])
        m_codes, m_values = _factor(_column(firms, "municipality"))
        triple = (st_codes * (len(s_values)) + s_codes) * len(m_values) + m_codes
        codes, uniques = pd.factorize(triple)
        s_u = (uniques // len(m_values)) % len(s_values)
        m_u = uniques % len(m_values)
        st_u = uniques // (len(m_values) * len(s_values))
        keys = np.array([normalise_place(v) for v in s_values], dtype=object)
        mkeys = np.array([_municipality_key(v) for v in m_values], dtype=object)
        raw = np.array([_clean(v) for v in s_values], dtype=object)
        mraw = np.array([_clean(v) for v in m_values], dtype=object)
        q = pd.DataFrame(
            {
                "_state": np.asarray(st_values, dtype=object)[st_u],
                "_key": keys[s_u],
                "_mkey": mkeys[m_u],
                "_raw": raw[s_u],
                "_mraw": mraw[m_u],
                "_qid": np.arange(len(uniques)),
            }
        )
        self.codes = codes
        self.q = q
        self.n = len(firms)
        self._exact: _Match | None = None
        self._qexact: pd.DataFrame | None = None

    def _spread(self, per_query: pd.DataFrame, columns: Sequence[str]) -> list:
        """Per-firm arrays of ``columns`` of a frame indexed by query id."""
        full = per_query.reindex(np.arange(len(self.q)))
        return [full[c].to_numpy()[self.codes] for c in columns]

    def exact(self) -> _Match:
        if self._exact is not None:
            return self._exact
        q = self.q
        named = q[q["_key"] != ""]
        hit = _resolve(named, self.table, self.size).set_index("_qid")
        hit["_score"] = 1.0
        # municipality fallback: the firm's municipality as a settlement of itself
        miss = named[~named["_qid"].isin(hit.index[hit["_lat"].notna()])]
        miss = miss[(miss["_mkey"] != "") & ~miss["_qid"].isin(hit.index)]
        if not miss.empty:
            own = self.table[self.table["_tmkey"] == self.table["_key"]]
            alt = miss.assign(_key=miss["_mkey"], _raw=miss["_mraw"])
            fb = _resolve(alt, own, self.size).set_index("_qid")
            fb = fb[fb["_lat"].notna()]
            orig = q.set_index("_qid")
            fb["_caveat"] = [
                f"no settlement {orig.at[i, '_raw']!r} in "
                f"{orig.at[i, '_state'] or 'gazetteer'}; placed at its municipality "
                f"{orig.at[i, '_mraw']!r}" + (f" ({c})" if c else "")
                for i, c in zip(fb.index, fb["_caveat"], strict=True)
            ]
            fb["_score"] = MUNICIPALITY_FALLBACK_SCORE
            hit = pd.concat([hit, fb])
        qnote = pd.Series("", index=q["_qid"], dtype=object)
        blank = q["_key"] == ""
        qnote[blank.to_numpy()] = "no settlement"
        lost = (~blank & ~q["_qid"].isin(hit.index[hit["_lat"].notna()])).to_numpy()
        qnote[lost] = [
            f"no settlement {r!r} in {s or 'gazetteer'}"
            for r, s in zip(q["_raw"][lost], q["_state"][lost], strict=True)
        ]
        why = hit["_why"][hit["_why"] != ""]
        qnote[why.index] = why.to_numpy()
        self._qexact = hit
        m = _Match(self.n)
        m.lat, m.lon, m.score, m.caveat = self._spread(
            hit, ["_lat", "_lon", "_score", "_caveat"]
        )
        m.lat, m.lon = m.lat.astype(float), m.lon.astype(float)
        m.score = np.nan_to_num(m.score.astype(float), nan=0.0)
        m.caveat = np.where(pd.isna(m.caveat), "", m.caveat).astype(object)
        m.note = qnote.to_numpy()[self.codes] if self.n else np.array([], dtype=object)
        self._exact = m
        return m

    def fuzzy(self, open_: np.ndarray, min_score: float) -> _Match:
        exact = self.exact()
        m = _Match(self.n)
        m.note = exact.note.copy()
        todo_q = np.unique(self.codes[open_]) if open_.any() else np.array([], int)
        q = self.q.iloc[todo_q]
        q = q[(q["_key"] != "") & ~q["_qid"].isin(self._qexact.index)]
        if q.empty:
            return m
        pairs = q[["_state", "_key"]].drop_duplicates()
        looked = _fuzzy_keys(pairs, self.table, min_score)
        q = q.merge(looked, on=["_state", "_key"], how="left")
        good = q[q["_fkey"] != ""]
        hit = _resolve(
            good.assign(_key=good["_fkey"]), self.table, self.size
        ).set_index("_qid")
        why = hit["_why"][hit["_why"] != ""]
        q.loc[q["_qid"].isin(why.index), "_fnote"] = [
            f"best fuzzy {k!r}: {w}"
            for k, w in zip(
                good.set_index("_qid").loc[why.index, "_fkey"], why, strict=True
            )
        ]
        hit = hit[hit["_lat"].notna()]
        hit["_score"] = good.set_index("_qid")["_fscore"].reindex(hit.index)
        lat, lon, sc, cav = self._spread(hit, ["_lat", "_lon", "_score", "_caveat"])
        m.lat, m.lon = lat.astype(float), lon.astype(float)
        m.score = np.nan_to_num(sc.astype(float), nan=0.0)
        m.caveat = np.where(pd.isna(cav), "", cav).astype(object)
        fnote = pd.Series(q["_fnote"].to_numpy(), index=q["_qid"])
        fnote = fnote[fnote != ""].reindex(np.arange(len(self.q))).to_numpy()
        per_firm = fnote[self.codes]
        why = open_ & ~pd.isna(per_firm)
        m.note[why] = [
            f"{a} ({b})" for a, b in zip(m.note[why], per_firm[why], strict=True)
        ]
        return m


def _clean(value: object) -> str:
    return "" if _missing(value) else str(value).strip()


def _factor(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes 0..k of a Series and its k distinct values plus ``None`` (code k) for
    missing ones."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes), [*uniques, None]


def settlements_from_postcodes(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Settlement gazetteer from a postcode gazetteer: one point per named place.

    Parameters
    ----------
    postcodes : pandas.DataFrame
        ``postcode``, ``settlement``, ``state``, ``lat``, ``lon``; rows without
        coordinates are ignored. Not modified.

    Returns
    -------
    pandas.DataFrame
        ``state``, ``settlement``, ``lat``, ``lon`` (mean of the place's postcode
        points) and ``n_postcodes``, one row per (state, settlement), sorted by both.

    Raises
    ------
    ValueError
        If a column is missing.

    Examples
    --------
    >>> pc = pd.DataFrame({"postcode": ["30720", "30721", "30161"],
    ...     "settlement": ["Dalton", "Dalton", "Rome"], "state": "GA",
    ...     "lat": [34.7, 34.8, 34.2], "lon": [-85.0, -84.9, -85.2]})
    >>> out = settlements_from_postcodes(pc)
    >>> out[["settlement", "lat", "n_postcodes"]].values.tolist()
    [['Dalton', 34.75, 2], ['Rome', 34.2, 1]]
    """
    _require_frame(
        postcodes, "postcodes", ["postcode", "settlement", "state", "lat", "lon"]
    )
    frame = pd.DataFrame(
        {
            "state": postcodes["state"].to_numpy(),
            "settlement": postcodes["settlement"].to_numpy(),
            "lat": _numbers(postcodes["lat"]),
            "lon": _numbers(postcodes["lon"]),
        }
    )
    frame = frame[np.isfinite(frame["lat"]) & np.isfinite(frame["lon"])]
    out = frame.groupby(["state", "settlement"], as_index=False, sort=True).agg(
        lat=("lat", "mean"), lon=("lon", "mean"), n_postcodes=("lat", "size")
    )
    out["n_postcodes"] = out["n_postcodes"].astype(int)
    return out


def region_centroids(regions: gpd.GeoDataFrame, *, state: str) -> pd.DataFrame:
    """One WGS84 point per region, for the region_centroid tier of `geocode_firms`.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Region polygons with a CRS and a column holding the state code the firms
        declare (e.g. the FNS region code). Not modified.
    state : str
        That column's name.

    Returns
    -------
    pandas.DataFrame
        ``state`` (text), ``lat``, ``lon``: the representative point of each region
        (always inside it, unlike a centroid of a crescent or an archipelago), in
        WGS84. Regions without geometry are left out; a state spread over several
        rows gets the point of their union.

    Raises
    ------
    TypeError
        If ``regions`` is not a GeoDataFrame.
    ValueError
        If ``state`` is not a column or ``regions`` has no CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> r = gpd.GeoDataFrame({"code": ["59"]}, geometry=[box(0, 0, 2, 2)],
    ...                      crs="EPSG:4326")
    >>> region_centroids(r, state="code").values.tolist()
    [['59', 1.0, 1.0]]
    """
    if not isinstance(regions, gpd.GeoDataFrame):
        raise TypeError(
            f"regions must be a GeoDataFrame; got {type(regions).__name__}."
        )
    if state not in regions.columns:
        raise ValueError(
            f"regions has no column {state!r}; it has {list(regions.columns)[:10]}. "
            "Pass state=<the column with the firms' state codes>."
        )
    if regions.crs is None:
        raise ValueError(
            "regions has no CRS; declare it with regions.set_crs(...) first."
        )
    kept = regions[~(regions.geometry.isna() | regions.geometry.is_empty)]
    merged = kept[[state, kept.geometry.name]].dissolve(by=state, as_index=False)
    points = merged.representative_point().to_crs("EPSG:4326")
    return pd.DataFrame(
        {
            "state": merged[state].astype(str).to_numpy(),
            "lat": points.y.to_numpy(),
            "lon": points.x.to_numpy(),
        }
    )
