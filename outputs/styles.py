"""Default QGIS styles (QML documents) for the published agglomeration layers."""

# The QML written here targets QGIS 3.22 LTR (the Debian 12 package). Every element
# follows what QGIS 3.22 itself writes when it saves a style (`<renderer-v2>`,
# `<symbol>` with both the `<Option type="Map">` and the legacy `<prop k v>` form of
# the symbol-layer properties, `<labeling type="simple">`), so later 3.x releases
# read it too. The documents are built with xml.etree rather than kept as template
# files because the `regions` classes are computed from the data at write time.

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

QGIS_VERSION = "3.22.0"
"""QGIS release the QML documents declare (`<qgis version=...>`)."""

QML_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"

LISA_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("HH", "#ff0000", "High-High"),
    ("LL", "#0000ff", "Low-Low"),
    ("LH", "#a7adf9", "Low-High"),
    ("HL", "#f4ada8", "High-Low"),
    ("ns", "#eeeeee", "Not significant"),
    ("isolate", "#999999", "No neighbours"),
)
"""``quadrant`` value, fill colour and legend label of the LISA map (GeoDa colours)."""

HOTSPOT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("hot_99", "#b2182b", "Hot spot, 99 % confidence"),
    ("hot_95", "#ef8a62", "Hot spot, 95 % confidence"),
    ("hot_90", "#fddbc7", "Hot spot, 90 % confidence"),
    ("ns", "#f7f7f7", "Not significant"),
    ("cold_90", "#d1e5f0", "Cold spot, 90 % confidence"),
    ("cold_95", "#67a9cf", "Cold spot, 95 % confidence"),
    ("cold_99", "#2166ac", "Cold spot, 99 % confidence"),
)
"""``hotspot`` value, fill colour and legend label of the Gi* map (ColorBrewer RdBu,
the diverging ramp of ArcGIS's and GeoDa's hot-spot maps: red hot, blue cold)."""

DENSITY_COLOURS: tuple[str, ...] = (
    "#ffffb2",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#f03b20",
    "#bd0026",
)
"""Sequential YlOrRd stops of the firm-density raster (low to high)."""

LQ_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 0.5, "#2166ac", "0 - 0.5"),
    (0.5, 0.8, "#67a9cf", "0.5 - 0.8"),
    (0.8, 1.0, "#d1e5f0", "0.8 - 1"),
    (1.0, 1.25, "#fddbc7", "1 - 1.25"),
    (1.25, 2.0, "#ef8a62", "1.25 - 2"),
    (2.0, 5.0, "#b2182b", "2 - 5"),
    (5.0, 1e9, "#67001f", "5 and above"),
)
"""Location-quotient classes ``[lower, upper)``: blues below 1, reds above 1."""

REGION_COLOURS: tuple[str, ...] = (
    "#edf8e9",
    "#c7e9c0",
    "#a1d99b",
    "#74c476",
    "#41ab5d",
)
"""Light sequential greens for the employment of regions (low to high)."""

MATCH_LEVEL_COLOURS: tuple[tuple[str, str, str], ...] = (
    ("coordinates", "#1a9641", "Registry coordinates"),
    ("postcode", "#a6d96a", "Postcode centroid"),
    ("settlement", "#fdae61", "Settlement centroid"),
    ("fuzzy_settlement", "#d7191c", "Fuzzy settlement match"),
)
"""``match_level`` value, colour and legend label of firm points (best to worst)."""

CLUSTER_LABEL_EXPRESSION = 'concat("industry", \' \', "maturity_stage")'
"""Cluster label when the layer has ``maturity_stage``: e.g. ``3141 mature``."""

FIRM_SIZE_EXPRESSION = 'scale_linear("employees", 0, 500, 1.5, 6)'
"""Data-defined marker diameter in mm: 1.5 mm at 0 employees, 6 mm at 500 or more."""

_POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
_POINT_TYPES = frozenset({"Point", "MultiPoint"})
_NO_SCALE = "3x:0,0,0,0,0,0"


# --------------------------------------------------------------------------- helpers


def _rgba(colour: str, alpha: int = 255) -> str:
    """``#rrggbb`` to QGIS's ``r,g,b,a`` colour string."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _ramp(stops: Sequence[str], n: int) -> list[str]:
    """``n`` colours linearly interpolated along ``stops`` (``#rrggbb``)."""
    rgb = np.array(
        [[int(s.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for s in stops]
    )
    if n == 1:
        return [stops[len(stops) // 2]]
    positions = np.linspace(0, len(stops) - 1, n)
    out = []
    for p in positions:
        lo = int(math.floor(p))
        hi = min(lo + 1, len(stops) - 1)
        c = rgb[lo] + (rgb[hi] - rgb[lo]) * (p - lo)
        out.append("#" + "".join(f"{int(round(v)):02x}" for v in c))
    return out


def _fmt(value: float) -> str:
    """Legend number: ``18.0`` -> ``18``, ``0.5`` -> ``0.5``, thousands with commas."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _properties(parent: ET.Element, props: Mapping[str, str]) -> None:
    """Symbol-layer properties, written twice as QGIS 3.22 does (Option map + prop)."""
    option_map = ET.SubElement(parent, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(option_map, "Option", type="QString", name=key, value=value)
    for key, value in props.items():
        ET.SubElement(parent, "prop", k=key, v=value)


def _data_defined(
    parent: ET.Element, expressions: Mapping[str, str] | None = None, tag: str = ""
) -> None:
    """A QgsPropertyCollection: empty, or expression-based properties by key."""
    holder = ET.SubElement(parent, tag or "data_defined_properties")
    collection = ET.SubElement(holder, "Option", type="Map")
    ET.SubElement(collection, "Option", type="QString", name="name", value="")
    if expressions:
        props = ET.SubElement(collection, "Option", type="Map", name="properties")
        for key, expression in expressions.items():
            prop = ET.SubElement(props, "Option", type="Map", name=key)
            ET.SubElement(prop, "Option", type="bool", name="active", value="true")
            ET.SubElement(
                prop, "Option", type="QString", name="expression", value=expression
            )
            # QgsProperty::ExpressionBasedProperty
            ET.SubElement(prop, "Option", type="int", name="type", value="3")
    else:
        ET.SubElement(collection, "Option", name="properties")
    ET.SubElement(collection, "Option", type="QString", name="type", value="collection")


def _symbol(parent: ET.Element, name: str, kind: str) -> ET.Element:
    symbol = ET.SubElement(
        parent,
        "symbol",
        type=kind,
        name=name,
        alpha="1",
        clip_to_extent="1",
        force_rhr="0",
    )
    _data_defined(symbol)
    return symbol


def _fill_symbol(
    parent: ET.Element,
    name: str,
    fill: str,
    *,
    fill_alpha: int = 255,
    outline: str = "#808080",
    outline_width_mm: float = 0.1,
) -> None:
    """A one-layer SimpleFill symbol."""
    symbol = _symbol(parent, name, "fill")
    layer = ET.SubElement(
        symbol,
        "layer",
        {"class": "SimpleFill", "enabled": "1", "pass": "0", "locked": "0"},
    )
    _properties(
        layer,
        {
            "border_width_map_unit_scale": _NO_SCALE,
            "color": _rgba(fill, fill_alpha),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_map_unit_scale": _NO_SCALE,
            "offset_unit": "MM",
            "outline_color": _rgba(outline),
            "outline_style": "solid",
            "outline_width": repr(float(outline_width_mm)),
            "outline_width_unit": "MM",
            "style": "solid",
        },
    )
    _data_defined(layer)


def _marker_symbol(
    parent: ET.Element, name: str, fill: str, *, size_expression: str | None = None
) -> None:
    """A one-layer SimpleMarker circle, optionally with a data-defined size."""
    symbol = _symbol(parent, name, "marker")
    layer = ET.SubElement(
        symbol,
        "layer",
        {"class": "SimpleMarker", "enabled": "1", "pass": "0", "locked": "0"},
    )
    _properties(
        layer,
        {
            "angle": "0",
            "cap_style": "square",
            "color": _rgba(fill, 230),
            "horizontal_anchor_point": "1",
            "joinstyle": "bevel",
            "name": "circle",
            "offset": "0,0",
            "offset_map_unit_scale": _NO_SCALE,
            "offset_unit": "MM",
            "outline_color": _rgba("#ffffff"),
            "outline_style": "solid",
            "outline_width": "0.2",
            "outline_width_map_unit_scale": _NO_SCALE,
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": "2",
            "size_map_unit_scale": _NO_SCALE,
            "size_unit": "MM",
            "vertical_anchor_point": "1",
        },
    )
    _data_defined(layer, {"size": size_expression} if size_expression else None)


def _document(geometry_type: int, *, labels: bool = False) -> ET.Element:
    """The `<qgis>` root; ``geometry_type`` (QgsWkbTypes) 0 point, 1 line, 2 polygon."""
    return ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "AllStyleCategories",
            "labelsEnabled": "1" if labels else "0",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
            "simplifyDrawingHints": "1",
            "simplifyAlgorithm": "0",
            "simplifyDrawingTol": "1",
            "simplifyLocal": "1",
            "simplifyMaxScale": "1",
            "symbologyReferenceScale": "-1",
            "readOnly": "0",
        },
    )


def _renderer(root: ET.Element, kind: str, **attributes: str) -> ET.Element:
    return ET.SubElement(
        root,
        "renderer-v2",
        {
            "type": kind,
            **attributes,
            "symbollevels": "0",
            "forceraster": "0",
            "enableorderby": "0",
            "referencescale": "-1",
        },
    )


def _finish(root: ET.Element, renderer: ET.Element, geometry_type: int) -> str:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "layerGeometryType").text = str(geometry_type)
    ET.indent(root, space="  ")
    return QML_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _graduated(
    field: str,
    classes: Sequence[tuple[float, float, str, str]],
    *,
    outline: str,
    outline_width_mm: float,
) -> str:
    """A graduatedSymbol fill renderer, fixed classes ``(lower, upper, colour, label)``.

    QGIS ranges are closed on both ends and the first listed range that contains a
    value wins (QgsGraduatedSymbolRenderer::rangeForValue). The ranges are therefore
    listed from the highest class down, so a value on a break (say LQ = 1.0) takes the
    upper class: the classes behave as ``[lower, upper)``, the top one as
    ``[lower, upper]``. The legend reads high to low.
    """
    root = _document(2)
    renderer = _renderer(
        root, "graduatedSymbol", attr=field, graduatedMethod="GraduatedColor"
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    ordered = sorted(classes, key=lambda c: c[0], reverse=True)
    for i, (lower, upper, colour, label) in enumerate(ordered):
        ET.SubElement(
            ranges,
            "range",
            symbol=str(i),
            lower=f"{lower:.15f}",
            upper=f"{upper:.15f}",
            label=label,
            render="true",
        )
        _fill_symbol(
            symbols, str(i), colour, outline=outline, outline_width_mm=outline_width_mm
        )
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(
        method,
        "labelFormat",
        format="%1 - %2",
        labelprecision="2",
        trimtrailingzeroes="1",
    )
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")
    return _finish(root, renderer, 2)


# ------------------------------------------------------------------- public builders


def _categorized_fill(field: str, entries: Sequence[tuple[str, str, str]]) -> str:
    """A categorizedSymbol fill renderer on ``field``: ``(value, colour, label)``."""
    root = _document(2)
    renderer = _renderer(root, "categorizedSymbol", attr=field)
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, colour, label) in enumerate(entries):
        ET.SubElement(
            categories,
            "category",
            value=value,
            type="string",
            symbol=str(i),
            label=label,
            render="true",
        )
        _fill_symbol(symbols, str(i), colour, outline="#808080", outline_width_mm=0.1)
    return _finish(root, renderer, 2)


def lisa_style() -> str:
    """QML of the LISA cluster map: categories on ``quadrant`` in GeoDa colours.

    Returns
    -------
    str
        A QGIS 3.22 style document (categorizedSymbol renderer, fill symbols with thin
        grey outlines) for polygon layers.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(lisa_style())
    >>> [c.get("value") for c in root.iter("category")]
    ['HH', 'LL', 'LH', 'HL', 'ns', 'isolate']
    """
    return _categorized_fill("quadrant", LISA_CATEGORIES)


def hotspot_style() -> str:
    """QML of the Getis-Ord Gi* map: categories on ``hotspot`` in a diverging ramp.

    Returns
    -------
    str
        A QGIS 3.22 style document (categorizedSymbol renderer): dark red for hot
        spots at 99 % confidence through white (not significant) to dark blue for
        cold spots at 99 %, in the order of `HOTSPOT_CATEGORIES`.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(hotspot_style())
    >>> root.find("renderer-v2").get("attr"), [
    ...     c.get("value") for c in root.iter("category")][:3]
    ('hotspot', ['hot_99', 'hot_95', 'hot_90'])
    """
    return _categorized_fill("hotspot", HOTSPOT_CATEGORIES)


def location_quotient_style() -> str:
    """QML of the location-quotient choropleth: diverging classes with a break at 1.

    Returns
    -------
    str
        A QGIS 3.22 style document: graduatedSymbol on ``lq`` with the classes of
        `LQ_CLASSES` (blues below 1, reds above 1), highest class listed first.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(location_quotient_style())
    >>> sorted(float(r.get("lower")) for r in root.iter("range"))[3]
    1.0
    """
    return _graduated("lq", LQ_CLASSES, outline="#808080", outline_width_mm=0.1)


def quantile_breaks(
    values: Sequence[float] | pd.Series, *, n_classes: int = 5
) -> list[float]:
    """Class breaks at the quantiles of the finite values (duplicates merged).

    Parameters
    ----------
    values : sequence of float or pandas.Series
        Numbers to classify; NaN and infinite values are ignored. Not modified.
    n_classes : int
        Wanted number of classes (at least 1); at most one class per distinct value
        comes back, and fewer when quantiles tie.

    Returns
    -------
    list of float
        Increasing breaks from the minimum to the maximum (linear interpolation
        between order statistics, numpy's default). A single distinct value gives
        ``[v, v]``: one class.

    Raises
    ------
    ValueError
        If ``n_classes`` < 1, a value is not numeric, or no value is finite.

    Examples
    --------
    >>> quantile_breaks([10, 20, 30, 40, 50])
    [10.0, 18.0, 26.0, 34.0, 42.0, 50.0]
    """
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1; got {n_classes}.")
    try:
        array = np.asarray(pd.Series(values).astype("float64"), dtype="float64")
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"values must be numeric to compute class breaks; got {error}. "
            "Convert the column with pd.to_numeric first."
        ) from None
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        raise ValueError(
            f"values has no finite number ({array.size} values, all NaN or infinite), "
            "so no class breaks can be computed. Fill the column or pass the breaks."
        )
    # Never more classes than distinct values: 3 regions get 3 classes, not 5.
    n_classes = min(n_classes, int(np.unique(finite).size))
    breaks = np.quantile(finite, np.linspace(0.0, 1.0, n_classes + 1))
    unique = [float(b) for b in np.unique(breaks)]
    return unique if len(unique) > 1 else [unique[0], unique[0]]


def regions_style(breaks: Sequence[float], *, field: str = "employment") -> str:
    """QML of the regions layer: light graduated fill on ``field`` with fixed breaks.

    Parameters
    ----------
    breaks : sequence of float
        Increasing class breaks, at least two (e.g. from `quantile_breaks`); ``[v, v]``
        gives a single class.
    field : str
        Numeric attribute to classify.

    Returns
    -------
    str
        A QGIS 3.22 style document (graduatedSymbol, light greens, dark grey outlines),
        classes ``[b_i, b_i+1)`` and the last one closed.

    Raises
    ------
    ValueError
        If there are fewer than two breaks, a break is not finite, or they decrease.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(regions_style([10, 20, 50]))
    >>> [r.get("label") for r in root.iter("range")]
    ['20 - 50', '10 - 20']
    """
    values = [float(b) for b in breaks]
    if len(values) < 2:
        raise ValueError(
            f"breaks needs at least two values (lower and upper bound); got {values}. "
            "Use quantile_breaks(...) or give [min, max]."
        )
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"breaks must be finite numbers; got {values}.")
    steps = np.diff(values)
    single = len(values) == 2 and steps[0] == 0
    if not single and not (steps > 0).all():
        raise ValueError(
            f"breaks must increase strictly; got {values}. Sort them and drop "
            "duplicates."
        )
    colours = _ramp(REGION_COLOURS, len(values) - 1)
    classes = [
        (lo, hi, colour, f"{_fmt(lo)} - {_fmt(hi)}")
        for lo, hi, colour in zip(values[:-1], values[1:], colours, strict=True)
    ]
    return _graduated(field, classes, outline="#505050", outline_width_mm=0.15)


def clusters_style(
    *, label_field: str = "industry", label_expression: str | None = None
) -> str:
    """QML of localized clusters: translucent fill, strong outline, labels on.

    Parameters
    ----------
    label_field : str
        Attribute shown as the label at the centre of each cluster polygon.
    label_expression : str, optional
        QGIS expression labelling the clusters instead of ``label_field`` (e.g.
        `CLUSTER_LABEL_EXPRESSION`: industry and maturity stage).

    Returns
    -------
    str
        A QGIS 3.22 style document: singleSymbol fill (orange at 25 % opacity, 0.8 mm
        dark red outline) and simple labeling (bold, white buffer) on ``label_field``.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(clusters_style())
    >>> text_style = root.find("labeling/settings/text-style")
    >>> root.get("labelsEnabled"), text_style.get("fieldName")
    ('1', 'industry')
    """
    root = _document(2, labels=True)
    renderer = _renderer(root, "singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    _fill_symbol(
        symbols, "0", "#ff7f00", fill_alpha=64, outline="#8b0000", outline_width_mm=0.8
    )
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text_style = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": label_expression or label_field,
            "isExpression": "1" if label_expression else "0",
            "fontFamily": "Sans Serif",
            "namedStyle": "Bold",
            "fontSize": "9",
            "fontSizeUnit": "Point",
            "fontSizeMapUnitScale": _NO_SCALE,
            "fontWeight": "75",
            "fontItalic": "0",
            "fontUnderline": "0",
            "fontStrikeout": "0",
            "fontKerning": "1",
            "fontLetterSpacing": "0",
            "fontWordSpacing": "0",
            "textColor": _rgba("#3c0000"),
            "textOpacity": "1",
            "textOrientation": "horizontal",
            "capitalization": "0",
            "allowHtml": "0",
            "blendMode": "0",
            "multilineHeight": "1",
            "previewBkgrdColor": "255,255,255,255",
            "useSubstitutions": "0",
            "legendString": "Aa",
        },
    )
    ET.SubElement(
        text_style,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "1",
            "bufferSizeUnits": "MM",
            "bufferSizeMapUnitScale": _NO_SCALE,
            "bufferColor": "255,255,255,255",
            "bufferOpacity": "0.8",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
            "bufferBlendMode": "0",
        },
    )
    ET.SubElement(text_style, "substitutions")
    ET.SubElement(
        settings,
        "text-format",
        {
            "wrapChar": "",
            "autoWrapLength": "0",
            "useMaxLineLengthForAutoWrap": "1",
            "multilineAlign": "1",
            "formatNumbers": "0",
            "decimals": "3",
            "plussign": "0",
            "addDirectionSymbol": "0",
        },
    )
    ET.SubElement(
        settings,
        "placement",
        {
            # QgsPalLayerSettings::OverPoint: over the centroid, kept inside the polygon
            "placement": "1",
            "centroidInside": "1",
            "centroidWhole": "0",
            "fitInPolygonOnly": "0",
            "dist": "0",
            "distUnits": "MM",
            "distMapUnitScale": _NO_SCALE,
            "offsetType": "0",
            "quadOffset": "4",
            "xOffset": "0",
            "yOffset": "0",
            "offsetUnits": "MM",
            "labelOffsetMapUnitScale": _NO_SCALE,
            "rotationAngle": "0",
            "priority": "5",
            "repeatDistance": "0",
            "repeatDistanceUnits": "MM",
            "repeatDistanceMapUnitScale": _NO_SCALE,
        },
    )
    ET.SubElement(
        settings,
        "rendering",
        {
            "drawLabels": "1",
            "scaleVisibility": "0",
            "scaleMin": "0",
            "scaleMax": "0",
            "fontLimitPixelSize": "0",
            "fontMinPixelSize": "3",
            "fontMaxPixelSize": "10000",
            "displayAll": "0",
            "upsidedownLabels": "0",
            "labelPerPart": "0",
            "mergeLines": "0",
            "minFeatureSize": "0",
            "limitNumLabels": "0",
            "maxNumLabels": "2000",
            "obstacle": "1",
            "obstacleFactor": "1",
            "obstacleType": "1",
            "zIndex": "0",
            "unplacedVisibility": "0",
        },
    )
    _data_defined(settings, tag="dd_properties")
    # <labeling> follows <renderer-v2> in a QGIS document; _finish appends the rest.
    root.append(labeling)
    return _finish(root, renderer, 2)


def firms_style() -> str:
    """QML of firm points: colour by ``match_level``, diameter by ``employees``.

    Returns
    -------
    str
        A QGIS 3.22 style document: categorizedSymbol on ``match_level`` (green for
        registry coordinates to red for fuzzy settlement matches, grey for any other
        value) with circle markers sized by `FIRM_SIZE_EXPRESSION`.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(firms_style())
    >>> {o.get("value") for o in root.iter("Option") if o.get("name") == "expression"}
    {'scale_linear("employees", 0, 500, 1.5, 6)'}
    """
    root = _document(0)
    renderer = _renderer(root, "categorizedSymbol", attr="match_level")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    # An empty value is QGIS's "all other values" category.
    entries = [*MATCH_LEVEL_COLOURS, ("", "#999999", "Other")]
    for i, (value, colour, label) in enumerate(entries):
        ET.SubElement(
            categories,
            "category",
            value=value,
            type="string",
            symbol=str(i),
            label=label,
            render="true",
        )
        _marker_symbol(symbols, str(i), colour, size_expression=FIRM_SIZE_EXPRESSION)
    return _finish(root, renderer, 0)


def density_style(
    maximum: float,
    *,
    minimum: float = 0.0,
    units: str = "firms per km²",
    opacity: float = 0.85,
) -> str:
    """QML of a single-band density raster: transparent at ``minimum``, YlOrRd above.

    Parameters
    ----------
    maximum : float
        Value drawn in the darkest red; larger values keep that colour. A high
        percentile of the non-zero cells (e.g. the 98th) shows more than the maximum.
    minimum : float
        Value drawn fully transparent (empty cells); the ramp fades in from there.
    units : str
        Unit shown in the legend labels.
    opacity : float
        Layer opacity between 0 and 1, so the regions beneath stay readable.

    Returns
    -------
    str
        A QGIS 3.22 raster style document: ``singlebandpseudocolor`` renderer on band
        1 with an interpolated colour-ramp shader (`DENSITY_COLOURS`).

    Raises
    ------
    ValueError
        If the bounds are not finite, ``maximum <= minimum`` or ``opacity`` is
        outside [0, 1].

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> root = ET.fromstring(density_style(12.0))
    >>> items = root.findall("pipe/rasterrenderer/rastershader/colorrampshader/item")
    >>> [(i.get("value"), i.get("alpha")) for i in items][:2], items[-1].get("value")
    ([('0', '0'), ('2', '255')], '12')
    """
    if not (math.isfinite(minimum) and math.isfinite(maximum)) or maximum <= minimum:
        raise ValueError(
            f"density_style needs finite bounds with maximum > minimum; got minimum "
            f"{minimum} and maximum {maximum}. Use e.g. the 98th percentile of the "
            "non-zero cells as maximum (all-zero rasters have nothing to draw)."
        )
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1; got {opacity}.")
    stops = [minimum] + [
        minimum + (maximum - minimum) * (i + 1) / len(DENSITY_COLOURS)
        for i in range(len(DENSITY_COLOURS))
    ]
    colours = [DENSITY_COLOURS[0], *DENSITY_COLOURS]
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "AllStyleCategories",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "1e+08",
            "maxScale": "0",
        },
    )
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        {
            "type": "singlebandpseudocolor",
            "band": "1",
            "opacity": repr(float(opacity)),
            "alphaBand": "-1",
            "classificationMin": _number(minimum),
            "classificationMax": _number(maximum),
            "nodataColor": "",
        },
    )
    origin = ET.SubElement(renderer, "minMaxOrigin")
    for tag, text in (
        ("limits", "None"),
        ("extent", "WholeRaster"),
        ("statAccuracy", "Estimated"),
        ("cumulativeCutLower", "0.02"),
        ("cumulativeCutUpper", "0.98"),
        ("stdDevFactor", "2"),
    ):
        ET.SubElement(origin, tag).text = text
    shader = ET.SubElement(
        ET.SubElement(renderer, "rastershader"),
        "colorrampshader",
        {
            "colorRampType": "INTERPOLATED",
            "classificationMode": "1",
            "clip": "0",
            "labelPrecision": "2",
            "minimumValue": _number(minimum),
            "maximumValue": _number(maximum),
        },
    )
    for i, (value, colour) in enumerate(zip(stops, colours, strict=True)):
        ET.SubElement(
            shader,
            "item",
            value=_number(value),
            color=colour,
            alpha="0" if i == 0 else "255",
            label=f"{_fmt(value)} {units}".strip(),
        )
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(
        pipe,
        "huesaturation",
        saturation="0",
        grayscaleMode="0",
        invertColors="0",
        colorizeOn="0",
        colorizeRed="255",
        colorizeGreen="128",
        colorizeBlue="128",
        colorizeStrength="100",
    )
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(pipe, "resamplingStage").text = "resamplingFilter"
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root, space="  ")
    return QML_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _number(value: float) -> str:
    """Shortest round-trip text of a number: ``2.0`` -> ``2``, ``0.1`` -> ``0.1``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# ------------------------------------------------------------------ layer -> style

_REQUIREMENTS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "lisa": (_POLYGON_TYPES, ("quadrant",)),
    "hotspots": (_POLYGON_TYPES, ("hotspot",)),
    "location_quotients": (_POLYGON_TYPES, ("lq",)),
    "regions": (_POLYGON_TYPES, ("employment",)),
    "clusters": (_POLYGON_TYPES, ("industry",)),
    "firms": (_POINT_TYPES, ("employees", "match_level")),
}

STYLED_LAYERS: tuple[str, ...] = tuple(_REQUIREMENTS)
"""Layer names that get a default style; any other layer is published unstyled."""


def geometry_family(layer_name: str) -> str | None:
    """``"polygon"`` or ``"point"`` for a styled layer name, else ``None``.

    Parameters
    ----------
    layer_name : str
        Name of the published layer.

    Returns
    -------
    str or None
        The geometry the layer's default style draws.

    Examples
    --------
    >>> geometry_family("firms"), geometry_family("regions"), geometry_family("roads")
    ('point', 'polygon', None)
    """
    if layer_name not in _REQUIREMENTS:
        return None
    return "point" if _REQUIREMENTS[layer_name][0] is _POINT_TYPES else "polygon"


def style_for(layer_name: str, gdf: gpd.GeoDataFrame) -> str | None:
    """Default QML style for a published layer, or ``None`` for an unknown layer.

    Parameters
    ----------
    layer_name : str
        ``lisa``, ``hotspots``, ``location_quotients``, ``regions``, ``clusters`` or
        ``firms`` get a style; any other name gets ``None`` (no style is invented).
    gdf : geopandas.GeoDataFrame
        The layer's data. Checked for the styled columns and the geometry type; the
        ``regions`` classes are the quintiles of its ``employment``. Not modified.

    Returns
    -------
    str or None
        A QGIS 3.22 QML document.

    Raises
    ------
    ValueError
        If a column the style draws on is missing, the geometries are of the wrong
        kind (e.g. polygons for ``firms``), or ``regions.employment`` has no finite
        value.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"employment": [10, 20, 30]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=32617)
    >>> style_for("regions", regions).count("<range "), style_for("roads", regions)
    (3, None)
    """
    if layer_name not in _REQUIREMENTS:
        return None
    geometry_types, columns = _REQUIREMENTS[layer_name]
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValueError(
            f"layer {layer_name!r} is styled on column(s) {missing}, which it lacks; "
            f"columns found: {list(gdf.columns)[:12]}. Add the column(s) (see "
            f"docs/data-contract.md) or pass styles={{{layer_name!r}: qml}}."
        )
    geometry = gdf.geometry
    present = geometry[geometry.notna() & ~geometry.is_empty]
    kinds = present.geom_type.value_counts()
    wrong = kinds[~kinds.index.isin(sorted(geometry_types))]
    if not wrong.empty:
        expected = " or ".join(sorted(geometry_types))
        found = ", ".join(f"{int(n)} {kind}" for kind, n in wrong.items())
        raise ValueError(
            f"layer {layer_name!r} is drawn with a {geometry_family(layer_name)} style "
            f"and needs {expected} geometries; got {found} rows. Convert the "
            f"geometries or publish the frame under another layer name."
        )
    if layer_name == "lisa":
        return lisa_style()
    if layer_name == "hotspots":
        return hotspot_style()
    if layer_name == "location_quotients":
        return location_quotient_style()
    if layer_name == "regions":
        try:
            breaks = quantile_breaks(gdf["employment"])
        except ValueError as error:
            raise ValueError(f"layer 'regions', column 'employment': {error}") from None
        return regions_style(breaks)
    if layer_name == "clusters":
        if "maturity_stage" in gdf.columns:
            return clusters_style(label_expression=CLUSTER_LABEL_EXPRESSION)
        return clusters_style()
    return firms_style()


def alternative_styles(layer_name: str, gdf: gpd.GeoDataFrame) -> dict[str, str]:
    """Further named styles of a layer, stored beside its default (not applied).

    Parameters
    ----------
    layer_name : str
        Name of the published layer.
    gdf : geopandas.GeoDataFrame
        The layer's data; a style is offered only if its column is present.

    Returns
    -------
    dict of str to str
        Style name to QML. ``lisa`` with a ``hotspot`` column offers ``hotspots``
        (`hotspot_style`): in QGIS, Layer Properties > Symbology > Style > Load Style
        > From database lists it.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lisa = gpd.GeoDataFrame({"quadrant": ["HH"], "hotspot": ["hot_99"]},
    ...     geometry=[box(0, 0, 1, 1)], crs=32617)
    >>> list(alternative_styles("lisa", lisa)), alternative_styles("regions", lisa)
    (['hotspots'], {})
    """
    if layer_name == "lisa" and "hotspot" in gdf.columns:
        return {"hotspots": hotspot_style()}
    return {}


STATIC_STYLES = {
    "lisa": lisa_style,
    "hotspots": hotspot_style,
    "location_quotients": location_quotient_style,
    "clusters": clusters_style,
    "firms": firms_style,
}
"""Styles that do not depend on the data, kept as ``outputs/styles/<name>.qml`` files
for analysts who load a style by hand (Layer Properties > Symbology > Load Style)."""


def write_style_files(folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write the `STATIC_STYLES` as ``<name>.qml`` into ``folder``.

    Parameters
    ----------
    folder : path-like, optional
        Destination; default ``outputs/styles`` beside this module (the copies in
        the repository, checked by tests/outputs/test_geopackage.py).

    Returns
    -------
    list of pathlib.Path
        The files written, in `STATIC_STYLES` order.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_style_files(tempfile.mkdtemp())][:2]
    ['lisa.qml', 'hotspots.qml']
    """
    target = Path(folder) if folder is not None else Path(__file__).with_name("styles")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in STATIC_STYLES.items():
        path = target / f"{name}.qml"
        path.write_text(build(), encoding="utf-8")
        written.append(path)
    return written
