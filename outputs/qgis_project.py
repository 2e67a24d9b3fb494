"""QGIS documents written without QGIS: the project (.qgz) and layer metadata."""

# Everything here follows what QGIS 3.22 LTR (Debian 12) itself writes: the project
# skeleton of QgsProject::write, the <spatialrefsys> of QgsCoordinateReferenceSystem,
# the metadata document of QgsLayerMetadata::writeMetadataXml. tests/qgis/qgis_check.py
# opens the result with the real QGIS to prove it loads.

from __future__ import annotations

import hashlib
import os
import secrets
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from outputs.styles import QGIS_VERSION, QML_DOCTYPE

__all__ = [
    "ProjectGroup",
    "ProjectLayer",
    "agglomeration_project_tree",
    "layer_metadata_xml",
    "project_layers",
    "spatial_ref_sys",
    "write_qgis_project",
]

_GEOMETRY = {"point": "Point", "line": "Line", "polygon": "Polygon"}
_WKB = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon"}


# ------------------------------------------------------------------ shared pieces


def _as_crs(crs: object, what: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except Exception as error:  # pyproj raises CRSError, a ValueError subclass
        raise ValueError(
            f"{what} is not a CRS pyproj understands: {crs!r} ({error}). Pass e.g. "
            "'EPSG:32616' or a pyproj.CRS."
        ) from None


def spatial_ref_sys(crs: object) -> ET.Element:
    """A QGIS ``<spatialrefsys>`` element (WKT2, PROJ string, authority id).

    Parameters
    ----------
    crs : object
        Anything `pyproj.CRS.from_user_input` accepts (``"EPSG:32616"``, a CRS).

    Returns
    -------
    xml.etree.ElementTree.Element
        ``<spatialrefsys>`` with ``wkt``, ``proj4``, ``srid``, ``authid``,
        ``description`` and ``geographicflag``, as QGIS 3.22 writes it.

    Raises
    ------
    ValueError
        If ``crs`` is not a CRS.

    Examples
    --------
    >>> element = spatial_ref_sys("EPSG:32616")
    >>> element.findtext("authid"), element.findtext("geographicflag")
    ('EPSG:32616', 'false')
    """
    crs = _as_crs(crs, "crs")
    authority = crs.to_authority() or ("", "")
    element = ET.Element("spatialrefsys")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "lose projection information"
        proj4 = crs.to_proj4() or ""
    parts = {
        "wkt": crs.to_wkt("WKT2_2019"),
        "proj4": proj4,
        "srsid": "0",
        "srid": authority[1] if authority[0] == "EPSG" else "0",
        "authid": ":".join(authority) if authority[0] else "",
        "description": crs.name,
        "projectionacronym": "",
        "ellipsoidacronym": "",
        "geographicflag": "true" if crs.is_geographic else "false",
    }
    for tag, text in parts.items():
        ET.SubElement(element, tag).text = text
    return element


def _document_text(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return QML_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def layer_metadata_xml(
    *,
    identifier: str,
    title: str,
    abstract: str,
    crs: object,
    bounds: Sequence[float] | None = None,
    keywords: Mapping[str, Sequence[str]] | None = None,
    history: Sequence[str] = (),
    parent_identifier: str = "",
    rights: Sequence[str] = (),
) -> str:
    """A QGIS layer-metadata document (what QGIS stores in ``gpkg_metadata``).

    Parameters
    ----------
    identifier, title, abstract : str
        Shown under Layer Properties > Metadata (Identification).
    crs : object
        The layer's CRS (anything pyproj accepts).
    bounds : sequence of float, optional
        ``(xmin, ymin, xmax, ymax)`` in ``crs``: the spatial extent.
    keywords : mapping of str to sequence of str, optional
        Vocabulary to keywords (e.g. ``{"gmd:topicCategory": ["economy"]}``).
    history : sequence of str
        One entry per provenance line (inputs and hashes, parameters, versions).
    parent_identifier : str
        Identifier of the dataset the layer belongs to (the publication).
    rights : sequence of str
        Rights statements.

    Returns
    -------
    str
        ``<!DOCTYPE qgis ...><qgis version=...>`` with the elements of
        QgsLayerMetadata::writeMetadataXml (QGIS 3.22), in its order.

    Raises
    ------
    ValueError
        If ``crs`` is not a CRS or ``bounds`` is not four finite numbers.

    Examples
    --------
    >>> root = ET.fromstring(layer_metadata_xml(identifier="demo:regions:r1",
    ...     title="Regions", abstract="", crs="EPSG:32616", history=["run r1"]))
    >>> root.findtext("identifier"), root.findtext("history"), root.findtext("type")
    ('demo:regions:r1', 'run r1', 'dataset')
    """
    crs = _as_crs(crs, "crs")
    root = ET.Element("qgis", version=QGIS_VERSION)
    ET.SubElement(root, "identifier").text = identifier
    ET.SubElement(root, "parentidentifier").text = parent_identifier
    ET.SubElement(root, "language").text = "en"
    ET.SubElement(root, "type").text = "dataset"
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "abstract").text = abstract
    for vocabulary, words in sorted((keywords or {}).items()):
        element = ET.SubElement(root, "keywords", vocabulary=vocabulary)
        for word in words:
            ET.SubElement(element, "keyword").text = word
    ET.SubElement(root, "links")
    for entry in history:
        ET.SubElement(root, "history").text = entry
    ET.SubElement(root, "fees").text = ""
    for entry in rights:
        ET.SubElement(root, "rights").text = entry
    ET.SubElement(root, "encoding").text = "UTF-8"
    ET.SubElement(root, "crs").append(spatial_ref_sys(crs))
    extent = ET.SubElement(root, "extent")
    if bounds is not None:
        box = _check_bounds(bounds, "bounds")
        authid = ":".join(crs.to_authority() or ()) or crs.to_string()
        ET.SubElement(
            extent,
            "spatial",
            dimensions="2",
            crs=authid,
            minx=repr(box[0]),
            miny=repr(box[1]),
            maxx=repr(box[2]),
            maxy=repr(box[3]),
            minz="0",
            maxz="0",
        )
    return _document_text(root)


def _check_bounds(bounds: Sequence[float], what: str) -> tuple[float, ...]:
    try:
        box = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        box = ()
    if len(box) != 4 or not all(v == v and abs(v) != float("inf") for v in box):
        raise ValueError(
            f"{what} must be four finite numbers (xmin, ymin, xmax, ymax); got "
            f"{bounds!r}. An empty layer has no bounds: pass None."
        )
    return box


# ---------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of a QGIS project: where its data is and how it is drawn.

    Attributes
    ----------
    name : str
        Name shown in the Layers panel.
    source : str
        File path relative to the project file (``agglomeration.gpkg``,
        ``density.tif``); written as ``./source`` with relative paths on.
    crs : object
        CRS the data is in (anything pyproj accepts).
    table : str or None
        Layer of a multi-layer file (GeoPackage table); ``None`` for a raster.
    kind : str
        ``"vector"`` (OGR provider) or ``"raster"`` (GDAL provider).
    geometry : str or None
        ``"point"``, ``"line"`` or ``"polygon"`` for a vector layer.
    style : str or None
        QML document whose renderer, labels and blending are embedded in the
        project; ``None`` leaves the layer to QGIS's defaults.
    subset : str or None
        Provider filter (an OGR SQL ``WHERE`` clause, e.g. ``"industry" = '3141'``).
    visible : bool
        Checked in the Layers panel.
    metadata : str or None
        QGIS layer-metadata document (`layer_metadata_xml`) embedded as the
        layer's ``resourceMetadata``.
    extent : tuple of float or None
        ``(xmin, ymin, xmax, ymax)`` in ``crs``; QGIS computes it when missing.
    """

    name: str
    source: str
    crs: object
    table: str | None = None
    kind: str = "vector"
    geometry: str | None = "polygon"
    style: str | None = None
    subset: str | None = None
    visible: bool = True
    metadata: str | None = None
    extent: tuple[float, float, float, float] | None = None

    @property
    def layer_id(self) -> str:
        """Stable id: the table or file stem plus a hash of what makes it unique."""
        stem = self.table or Path(self.source).stem
        key = "\x1f".join([self.name, self.source, self.table or "", self.subset or ""])
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        safe = "".join(c if c.isalnum() else "_" for c in stem)
        return f"{safe}_{digest}"

    @property
    def datasource(self) -> str:
        """The provider URI as QGIS writes it with relative paths."""
        path = (
            self.source
            if self.source.startswith(("./", "../"))
            else "./" + (self.source)
        )
        if self.kind == "raster":
            return path
        uri = f"{path}|layername={self.table}" if self.table else path
        return f"{uri}|subset={self.subset}" if self.subset else uri


@dataclass(frozen=True)
class ProjectGroup:
    """A group of the Layers panel.

    Attributes
    ----------
    name : str
        Group name.
    children : tuple of ProjectLayer or ProjectGroup
        Members, drawn top (first) to bottom (last).
    visible : bool
        Checked; an unchecked group hides all its members.
    expanded : bool
        Unfolded in the Layers panel.
    exclusive : bool
        Mutually exclusive: checking one member unchecks the others (QGIS keeps
        the first visible member checked).
    """

    name: str
    children: tuple[ProjectLayer | ProjectGroup, ...] = field(default_factory=tuple)
    visible: bool = True
    expanded: bool = True
    exclusive: bool = False


def project_layers(tree: Sequence[ProjectLayer | ProjectGroup]) -> list[ProjectLayer]:
    """Every layer of a tree, top (drawn last) to bottom (drawn first).

    Parameters
    ----------
    tree : sequence of ProjectLayer or ProjectGroup
        Top-level entries.

    Returns
    -------
    list of ProjectLayer
        Depth-first, in Layers-panel order.

    Examples
    --------
    >>> a = ProjectLayer("A", "x.gpkg", "EPSG:32616", table="a")
    >>> b = ProjectLayer("B", "x.gpkg", "EPSG:32616", table="b")
    >>> [layer.name for layer in project_layers([ProjectGroup("G", (a,)), b])]
    ['A', 'B']
    """
    out: list[ProjectLayer] = []
    for entry in tree:
        if isinstance(entry, ProjectGroup):
            out.extend(project_layers(entry.children))
        else:
            out.append(entry)
    return out


def _checked(flag: bool) -> str:
    return "Qt::Checked" if flag else "Qt::Unchecked"


def _custom_properties(parent: ET.Element) -> None:
    ET.SubElement(ET.SubElement(parent, "customproperties"), "Option")


def _tree_xml(
    parent: ET.Element, entries: Sequence[ProjectLayer | ProjectGroup]
) -> None:
    for entry in entries:
        if isinstance(entry, ProjectGroup):
            attributes = {
                "name": entry.name,
                "checked": _checked(entry.visible),
                "expanded": "1" if entry.expanded else "0",
            }
            if entry.exclusive:
                visible = [
                    i for i, c in enumerate(entry.children) if getattr(c, "visible", 0)
                ]
                attributes["mutually-exclusive"] = "1"
                attributes["mutually-exclusive-child"] = str(
                    visible[0] if visible else -1
                )
            group = ET.SubElement(parent, "layer-tree-group", attributes)
            _custom_properties(group)
            _tree_xml(group, entry.children)
        else:
            node = ET.SubElement(
                parent,
                "layer-tree-layer",
                {
                    "id": entry.layer_id,
                    "name": entry.name,
                    "source": entry.datasource,
                    "providerKey": "gdal" if entry.kind == "raster" else "ogr",
                    "checked": _checked(entry.visible),
                    "expanded": "0",
                    "legend_exp": "",
                    "legend_split_behavior": "0",
                    "patch_size": "-1,-1",
                },
            )
            _custom_properties(node)


def _extent(parent: ET.Element, tag: str, box: Sequence[float]) -> None:
    element = ET.SubElement(parent, tag)
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        ET.SubElement(element, name).text = repr(float(value))


def _style_parts(style: str, name: str) -> ET.Element:
    try:
        root = ET.fromstring(style)
    except ET.ParseError as error:
        raise ValueError(
            f"the style of layer {name!r} is not well-formed XML ({error}). Pass a QML "
            "document built by outputs.styles or saved by QGIS."
        ) from None
    if root.tag != "qgis":
        raise ValueError(
            f"the style of layer {name!r} has root <{root.tag}>, not <qgis>; pass QML."
        )
    return root


def _maplayer(layer: ProjectLayer) -> ET.Element:
    crs = _as_crs(layer.crs, f"layer {layer.name!r} crs")
    attributes = {
        "type": layer.kind,
        "hasScaleBasedVisibilityFlag": "0",
        "minScale": "100000000",
        "maxScale": "0",
        "styleCategories": "AllStyleCategories",
        "autoRefreshEnabled": "0",
        "autoRefreshTime": "0",
        "refreshOnNotifyEnabled": "0",
        "refreshOnNotifyMessage": "",
        "legendPlaceholderImage": "",
    }
    style = _style_parts(layer.style, layer.name) if layer.style else None
    if layer.kind == "vector":
        if layer.geometry not in _GEOMETRY:
            raise ValueError(
                f"layer {layer.name!r} has geometry {layer.geometry!r}; a vector layer "
                f"needs one of {sorted(_GEOMETRY)}."
            )
        attributes |= {
            "geometry": _GEOMETRY[layer.geometry],
            "wkbType": _WKB[layer.geometry],
            "readOnly": "0",
            "labelsEnabled": "0",
            "simplifyDrawingHints": "1",
            "simplifyAlgorithm": "0",
            "simplifyDrawingTol": "1",
            "simplifyLocal": "1",
            "simplifyMaxScale": "1",
            "symbologyReferenceScale": "-1",
        }
    if style is not None:
        # The QML root carries labelsEnabled, simplification and scale attributes.
        attributes |= {k: v for k, v in style.attrib.items() if k not in ("version",)}
    element = ET.Element("maplayer", attributes)
    if layer.extent is not None:
        _extent(element, "extent", _check_bounds(layer.extent, "extent"))
    ET.SubElement(element, "id").text = layer.layer_id
    ET.SubElement(element, "datasource").text = layer.datasource
    ET.SubElement(ET.SubElement(element, "keywordList"), "value").text = ""
    ET.SubElement(element, "layername").text = layer.name
    ET.SubElement(element, "srs").append(spatial_ref_sys(crs))
    if layer.metadata:
        metadata = _style_parts(layer.metadata, layer.name)
        resource = ET.SubElement(element, "resourceMetadata")
        resource.extend(list(metadata))
    provider = ET.SubElement(element, "provider")
    if layer.kind == "vector":
        provider.set("encoding", "UTF-8")
        provider.text = "ogr"
    else:
        provider.text = "gdal"
    if layer.kind == "raster":
        ET.SubElement(
            ET.SubElement(element, "noData"),
            "noDataList",
            bandNo="1",
            useSrcNoData="1",
        )
    manager = ET.SubElement(element, "map-layer-style-manager", current="default")
    ET.SubElement(manager, "map-layer-style", name="default")
    if style is not None:
        element.extend(
            child for child in style if child.tag not in ("layerGeometryType",)
        )
    return element


def _project_xml(
    tree: Sequence[ProjectLayer | ProjectGroup],
    *,
    crs: CRS,
    title: str,
    extent: tuple[float, ...] | None,
) -> ET.Element:
    layers = project_layers(tree)
    ids = [layer.layer_id for layer in layers]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(
            f"the project has several layers with the same name, source, table and "
            f"subset (ids {duplicated}); QGIS needs unique layer ids. Rename them."
        )
    root = ET.Element(
        "qgis",
        {"version": QGIS_VERSION, "projectname": title, "saveUser": "agglo"},
    )
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "autotransaction", active="0")
    ET.SubElement(root, "evaluateDefaultValues", active="0")
    ET.SubElement(root, "trust", active="0")
    ET.SubElement(root, "projectCrs").append(spatial_ref_sys(crs))
    tree_root = ET.SubElement(root, "layer-tree-group")
    _custom_properties(tree_root)
    _tree_xml(tree_root, tree)
    order = ET.SubElement(tree_root, "custom-order", enabled="0")
    for layer_id in ids:
        ET.SubElement(order, "item").text = layer_id
    ET.SubElement(root, "relations")
    if extent is not None:
        canvas = ET.SubElement(
            root, "mapcanvas", name="theMapCanvas", annotationsVisible="1"
        )
        units = "degrees" if crs.is_geographic else "meters"
        ET.SubElement(canvas, "units").text = units
        _extent(canvas, "extent", extent)
        ET.SubElement(canvas, "rotation").text = "0"
        ET.SubElement(canvas, "destinationsrs").append(spatial_ref_sys(crs))
        ET.SubElement(canvas, "rendermaptile").text = "0"
    project_layers_element = ET.SubElement(root, "projectlayers")
    for layer in layers:
        project_layers_element.append(_maplayer(layer))
    layer_order = ET.SubElement(root, "layerorder")
    for layer_id in ids:
        ET.SubElement(layer_order, "layer", id=layer_id)
    properties = ET.SubElement(root, "properties")
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    srs = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    gui = ET.SubElement(properties, "Gui")
    for part in ("Red", "Green", "Blue"):
        ET.SubElement(gui, f"CanvasColor{part}Part", type="int").text = "255"
    ET.SubElement(root, "visibility-presets")
    ET.SubElement(root, "transformContext")
    metadata = ET.SubElement(root, "projectMetadata")
    for tag, text in (
        ("identifier", ""),
        ("parentidentifier", ""),
        ("language", "en"),
        ("type", ""),
        ("title", title),
        ("abstract", ""),
    ):
        ET.SubElement(metadata, tag).text = text
    ET.SubElement(metadata, "links")
    ET.SubElement(metadata, "author").text = "agglo"
    view = ET.SubElement(
        root, "ProjectViewSettings", UseProjectScales="0", rotation="0"
    )
    ET.SubElement(view, "Scales")
    if extent is not None:
        default = ET.SubElement(
            view,
            "DefaultViewExtent",
            xmin=repr(extent[0]),
            ymin=repr(extent[1]),
            xmax=repr(extent[2]),
            ymax=repr(extent[3]),
        )
        default.append(spatial_ref_sys(crs))
    return root


def write_qgis_project(
    path: str | os.PathLike[str],
    tree: Sequence[ProjectLayer | ProjectGroup],
    *,
    crs: object,
    title: str = "",
    extent: Sequence[float] | None = None,
) -> Path:
    """Write a QGIS project (``.qgz`` or ``.qgs``): the layers and groups of ``tree``.

    Parameters
    ----------
    path : path-like
        Destination ending in ``.qgz`` (a zip holding ``<stem>.qgs``, what QGIS 3
        saves by default) or ``.qgs`` (plain XML). Replaced atomically.
    tree : sequence of ProjectLayer or ProjectGroup
        Layers-panel content, top to bottom; the first entry is drawn on top.
        Layer sources are relative to the folder of ``path``.
    crs : object
        Project CRS (anything pyproj accepts).
    title : str
        Project title.
    extent : sequence of float, optional
        Initial view ``(xmin, ymin, xmax, ymax)`` in the project CRS.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        On a path with another suffix, an unknown CRS, a style that is not QML, a
        vector layer without a known geometry, duplicate layers, or bad extents.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> layer = ProjectLayer("Regions", "agglomeration.gpkg", "EPSG:32616",
    ...                      table="regions")
    >>> out = write_qgis_project(folder / "demo.qgz", [layer], crs="EPSG:32616")
    >>> zipfile.ZipFile(out).namelist()
    ['demo.qgs']
    """
    path = Path(path)
    if path.suffix.lower() not in (".qgz", ".qgs"):
        raise ValueError(
            f"path must end in .qgz or .qgs (QGIS project); got {str(path)!r}."
        )
    project_crs = _as_crs(crs, "crs")
    box = None if extent is None else _check_bounds(extent, "extent")
    document = _document_text(
        _project_xml(tree, crs=project_crs, title=title, extent=box)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        if path.suffix.lower() == ".qgz":
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(path.stem + ".qgs", document.encode("utf-8"))
        else:
            tmp.write_text(document, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_project_xml(path: str | os.PathLike[str]) -> ET.Element:
    """The root element of a ``.qgz`` or ``.qgs`` project.

    Parameters
    ----------
    path : path-like
        A project written by `write_qgis_project` or QGIS.

    Returns
    -------
    xml.etree.ElementTree.Element
        The ``<qgis>`` element.

    Examples
    --------
    >>> import tempfile
    >>> out = write_qgis_project(Path(tempfile.mkdtemp()) / "p.qgz", [],
    ...                          crs="EPSG:4326", title="Empty")
    >>> read_project_xml(out).findtext("title")
    'Empty'
    """
    path = Path(path)
    if path.suffix.lower() == ".qgz":
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith(".qgs")]
            if not names:
                raise ValueError(
                    f"{str(path)!r} holds no .qgs document (found {zf.namelist()}); "
                    "it is not a QGIS project archive."
                )
            return ET.fromstring(zf.read(names[0]))
    return ET.parse(path).getroot()


# --------------------------------------------------------- the agglomeration layout


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    geometry = gdf.geometry
    present = geometry[geometry.notna() & ~geometry.is_empty]
    if present.empty:
        return None
    return tuple(float(v) for v in present.total_bounds)  # type: ignore[return-value]


def _bounds_by_industry(
    gdf: gpd.GeoDataFrame,
) -> dict[str, tuple[float, float, float, float] | None]:
    """`_bounds` of each industry's rows, from one pass over the geometries."""
    # NaN for missing or empty geometries, which nanmin / nanmax then skip
    boxes = shapely.bounds(np.asarray(gdf.geometry.array))
    codes = gdf["industry"].astype(str).to_numpy()
    extents = {}
    for code, at in pd.Series(np.arange(len(gdf))).groupby(codes).indices.items():
        box = boxes[at]
        if np.isnan(box).all():
            extents[code] = None
            continue
        lower = np.nanmin(box[:, :2], axis=0)
        upper = np.nanmax(box[:, 2:], axis=0)
        extents[code] = tuple(float(v) for v in (*lower, *upper))
    return extents


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def agglomeration_project_tree(
    gpkg: str,
    layers: Mapping[str, gpd.GeoDataFrame],
    styles: Mapping[str, str],
    *,
    metadata: Mapping[str, str] | None = None,
    industries: Sequence[str] | None = None,
    focus_industry: str | None = None,
    industry_names: Mapping[str, str] | None = None,
    raster: ProjectLayer | None = None,
) -> list[ProjectLayer | ProjectGroup]:
    """The Layers panel of the published project: clusters on top, regions at the base.

    Parameters
    ----------
    gpkg : str
        GeoPackage path relative to the project (``agglomeration.gpkg``).
    layers : mapping of str to geopandas.GeoDataFrame
        The published layers (``clusters``, ``firms``, ``lisa``,
        ``location_quotients``, ``regions``; any may be missing). Not modified.
    styles : mapping of str to str
        QML per layer name; ``hotspots`` styles the hot-spot copy of ``lisa``.
    metadata : mapping of str to str, optional
        QGIS metadata document per layer name (embedded in the project).
    industries : sequence of str, optional
        Industries to give a group each (default: those of ``lisa``, else of
        ``location_quotients``, sorted).
    focus_industry : str, optional
        The industry whose group is visible (default: the one with most High-High
        regions in ``lisa``, ties to the first); the other groups are unchecked.
    industry_names : mapping of str to str, optional
        Readable names for the group titles (``3141`` -> ``Textile Furnishings
        Mills``).
    raster : ProjectLayer, optional
        A raster layer (firm density), put in the ``Rasters`` group, unchecked.

    Returns
    -------
    list of ProjectLayer or ProjectGroup
        ``Clusters``, ``Firms`` (unchecked), ``Statistics`` (one mutually exclusive
        group per industry: LISA clusters, hot spots (Gi*), location quotient, each
        filtered with ``"industry" = '<code>'``), ``Base`` (regions), ``Rasters``.

    Raises
    ------
    ValueError
        If ``focus_industry`` is not one of ``industries``, or a layer has no style.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> regions = gpd.GeoDataFrame({"employment": [1]}, geometry=[box(0, 0, 1, 1)],
    ...                            crs=32616)
    >>> tree = agglomeration_project_tree("a.gpkg", {"regions": regions},
    ...                                   {"regions": "<qgis/>"})
    >>> [(g.name, [c.name for c in g.children]) for g in tree]
    [('Base', ['Regions'])]
    """
    metadata = metadata or {}
    names = industry_names or {}
    extents = {
        table: _bounds_by_industry(layers[table])
        for table in ("lisa", "location_quotients")
        if table in layers
    }

    def layer(
        name: str,
        table: str,
        *,
        style: str,
        subset: str | None = None,
        visible: bool = True,
        code: str | None = None,
    ) -> ProjectLayer:
        if style not in styles:
            raise ValueError(
                f"no style for layer {style!r}; styles has {sorted(styles)}. Pass the "
                "QML of every published layer (outputs.styles.style_for)."
            )
        family = "point" if table == "firms" else "polygon"
        return ProjectLayer(
            name=name,
            source=gpkg,
            table=table,
            crs=layers[table].crs,
            geometry=family,
            style=styles[style],
            subset=subset,
            visible=visible,
            metadata=metadata.get(table),
            # the extent of the industry's rows the subset shows, else the table's
            extent=_bounds(layers[table]) if code is None else extents[table].get(code),
        )

    tree: list[ProjectLayer | ProjectGroup] = []
    if "clusters" in layers:
        tree.append(
            ProjectGroup(
                "Clusters", (layer("Localized clusters", "clusters", style="clusters"),)
            )
        )
    if "firms" in layers:
        tree.append(
            ProjectGroup(
                "Firms",
                (layer("Firms", "firms", style="firms"),),
                visible=False,
                expanded=False,
            )
        )
    table = (
        "lisa"
        if "lisa" in layers
        else ("location_quotients" if "location_quotients" in layers else None)
    )
    chosen: list[str] = []
    if table is not None:
        available = sorted(str(v) for v in layers[table]["industry"].dropna().unique())
        chosen = [str(i) for i in industries] if industries is not None else available
    if chosen:  # no industry analysed (e.g. too few firms): no Statistics group
        if focus_industry is None:
            focus_industry = chosen[0]
            if "lisa" in layers and "quadrant" in layers["lisa"]:
                lisa = layers["lisa"]
                hh = lisa[lisa["quadrant"] == "HH"]["industry"].astype(str)
                counts = hh.value_counts()
                counts = counts[counts.index.isin(chosen)]
                if not counts.empty:
                    top = counts.max()
                    focus_industry = next(i for i in chosen if counts.get(i, 0) == top)
        if focus_industry not in chosen:
            raise ValueError(
                f"focus_industry {focus_industry!r} is not among the industries "
                f"{chosen[:12]}; pick one of them."
            )
        ordered = [focus_industry, *(i for i in chosen if i != focus_industry)]
        groups = []
        for code in ordered:
            subset = f'"industry" = {_quote(code)}'
            members = []
            if "lisa" in layers:
                members.append(
                    layer(
                        f"LISA clusters {code}",
                        "lisa",
                        style="lisa",
                        subset=subset,
                        code=code,
                    )
                )
                if "hotspot" in layers["lisa"] and "hotspots" in styles:
                    members.append(
                        layer(
                            f"Hot spots (Gi*) {code}",
                            "lisa",
                            style="hotspots",
                            subset=subset,
                            visible=False,
                            code=code,
                        )
                    )
            if "location_quotients" in layers:
                members.append(
                    layer(
                        f"Location quotient {code}",
                        "location_quotients",
                        style="location_quotients",
                        subset=subset,
                        visible=not members,
                        code=code,
                    )
                )
            title = f"{code} {names[code]}" if code in names else code
            focus = code == focus_industry
            groups.append(
                ProjectGroup(
                    title, tuple(members), visible=focus, expanded=focus, exclusive=True
                )
            )
        tree.append(ProjectGroup("Statistics", tuple(groups)))
    if "regions" in layers:
        tree.append(
            ProjectGroup("Base", (layer("Regions", "regions", style="regions"),))
        )
    if raster is not None:
        tree.append(ProjectGroup("Rasters", (raster,), visible=False, expanded=False))
    return tree
