"""Open a published GeoPackage and QGIS project with the real QGIS; print a JSON report.

Run by the SYSTEM Python (``/usr/bin/python3`` with Debian's ``python3-qgis``), never
by the project's venv: ``QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_check.py
SPEC.json``. SPEC names what to open::

    {"gpkg": "/abs/agglomeration.gpkg", "gpkg_layers": ["regions", ...],
     "project": "/abs/agglomeration.qgz", "render": "/abs/map.png",
     "width": 1200, "height": 900}

The script only observes (validity, counts, CRS, renderer, metadata, layer tree) and
renders the visible project layers to ``render``; the pytest side
(tests/outputs/test_qgis_opens.py) compares the observations with the data. The
report is one JSON object on the last line of stdout. Headless PyQGIS 3.22 can crash
in its own teardown after the work is done, so the script flushes and leaves with
``os._exit``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _renderer(layer) -> dict:
    renderer = layer.renderer()
    out: dict = {"renderer": renderer.type() if renderer else None}
    if renderer is None:
        return out
    kind = renderer.type()
    if kind == "categorizedSymbol":
        out["attr"] = renderer.classAttribute()
        out["categories"] = [str(c.value()) for c in renderer.categories()]
        out["colours"] = [c.symbol().color().name() for c in renderer.categories()]
    elif kind == "graduatedSymbol":
        out["attr"] = renderer.classAttribute()
        out["ranges"] = [[r.lowerValue(), r.upperValue()] for r in renderer.ranges()]
    elif kind == "singleSymbol":
        colour = renderer.symbol().color()
        out["colour"] = [colour.red(), colour.green(), colour.blue(), colour.alpha()]
    return out


def _metadata(layer) -> dict:
    metadata = layer.metadata()
    return {
        "identifier": metadata.identifier(),
        "title": metadata.title(),
        "abstract": metadata.abstract(),
        "history": list(metadata.history()),
        "keywords": {k: list(v) for k, v in metadata.keywords().items()},
        "crs": metadata.crs().authid(),
    }


def _vector(layer) -> dict:
    out = {
        "valid": layer.isValid(),
        "kind": "vector",
        "name": layer.name(),
        "count": layer.featureCount() if layer.isValid() else None,
        "crs": layer.crs().authid(),
        "subset": layer.subsetString(),
        "labels": layer.labelsEnabled(),
        "geometry": int(layer.geometryType()) if layer.isValid() else None,
    }
    out.update(_renderer(layer))
    out["metadata"] = _metadata(layer)
    return out


def _raster(layer) -> dict:
    renderer = layer.renderer()
    out = {
        "valid": layer.isValid(),
        "kind": "raster",
        "name": layer.name(),
        "crs": layer.crs().authid(),
        "width": layer.width(),
        "height": layer.height(),
        "renderer": renderer.type() if renderer else None,
        "opacity": renderer.opacity() if renderer else None,
    }
    if renderer is not None and renderer.type() == "singlebandpseudocolor":
        shader = renderer.shader().rasterShaderFunction()
        out["ramp"] = [
            [item.value, item.color.name(), item.color.alpha()]
            for item in shader.colorRampItemList()
        ]
    return out


def _group_path(node) -> str:
    parts = []
    parent = node.parent()
    while parent is not None and parent.parent() is not None:
        parts.append(parent.name())
        parent = parent.parent()
    return "/".join(reversed(parts))


def _check_gpkg(spec: dict, QgsVectorLayer) -> dict:
    out = {}
    for name in spec.get("gpkg_layers", []):
        layer = QgsVectorLayer(f"{spec['gpkg']}|layername={name}", name, "ogr")
        observed = _vector(layer)
        if layer.isValid():
            # (count of this layer's styles, ids, names, descriptions, error): the
            # first `count` entries belong to the layer, the rest to other tables
            count, _ids, names, _descriptions, _error = layer.listStylesInDatabase()
            observed["stored_styles"] = list(names)[:count]
        out[name] = observed
    return out


def _check_project(spec: dict, qgis) -> dict:
    project = qgis.QgsProject.instance()
    ok = project.read(spec["project"])
    out: dict = {"read": bool(ok), "error": project.error() if not ok else ""}
    out["crs"] = project.crs().authid()
    out["title"] = project.title()
    root = project.layerTreeRoot()
    layers = {}
    order = []
    for node in root.findLayers():
        layer = node.layer()
        if layer is None:
            layers[node.layerId()] = {"valid": False, "name": node.name()}
            continue
        if layer.type() == qgis.QgsMapLayerType.VectorLayer:
            observed = _vector(layer)
        else:
            observed = _raster(layer)
        observed["group"] = _group_path(node)
        observed["visible"] = node.isVisible()
        observed["source"] = layer.source()
        layers[layer.id()] = observed
        order.append(layer.id())
    out["layers"] = layers
    out["order"] = order
    out["groups"] = (
        [
            {
                "name": group.name(),
                "checked": group.isVisible(),
                "exclusive": group.isMutuallyExclusive(),
            }
            for group in root.findGroups(True)
        ]
        if hasattr(root, "findGroups")
        else []
    )
    if spec.get("render"):
        out["render"] = _render(spec, project, root, qgis)
    if spec.get("layout"):
        out["layout"] = _layout(spec, project, root, qgis)
    return out


def _layout(spec: dict, project, root, qgis) -> dict:
    """A print layout of the visible layers: title, map, legend, scale bar -> PNG."""
    from qgis.PyQt.QtGui import QColor, QFont

    visible = _visible_layers(spec, root)
    layout = qgis.QgsPrintLayout(project)
    layout.initializeDefaults()  # one A4 landscape page: 297 x 210 mm
    page = layout.pageCollection().page(0)
    page.setPageSize(qgis.QgsLayoutSize(240, 200, qgis.QgsUnitTypes.LayoutMillimeters))
    mm = qgis.QgsUnitTypes.LayoutMillimeters

    def place(item, x, y, width=None, height=None):
        layout.addLayoutItem(item)
        item.attemptMove(qgis.QgsLayoutPoint(x, y, mm))
        if width is not None:
            item.attemptResize(qgis.QgsLayoutSize(width, height, mm))

    title = qgis.QgsLayoutItemLabel(layout)
    title.setText(spec.get("layout_title") or project.title())
    font = QFont("Sans Serif", 13)
    font.setBold(True)
    title.setFont(font)
    place(title, 6, 4, 228, 10)
    map_item = qgis.QgsLayoutItemMap(layout)
    map_item.setRect(0, 0, 150, 178)
    place(map_item, 6, 16, 150, 178)
    map_item.setLayers(visible)
    map_item.setKeepLayerSet(True)
    map_item.setCrs(project.crs())
    extent = project.viewSettings().defaultViewExtent()
    if extent.isEmpty():
        extent = qgis.QgsRectangle()
        for layer in visible:
            extent.combineExtentWith(layer.extent())
    map_item.zoomToExtent(extent)
    map_item.setBackgroundColor(QColor(255, 255, 255))
    legend = qgis.QgsLayoutItemLegend(layout)
    legend.setLinkedMap(map_item)
    legend.setAutoUpdateModel(False)
    legend.setLegendFilterByMapEnabled(True)  # only the classes drawn on the map
    model_root = legend.model().rootGroup()
    model_root.clear()
    skip = set(spec.get("legend_exclude", []))
    for layer in visible:
        if layer.name() not in skip:
            model_root.addLayer(layer)
    legend.setTitle("")
    place(legend, 160, 18)
    bar = qgis.QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(map_item)
    bar.setUnits(qgis.QgsUnitTypes.DistanceKilometers)
    bar.setUnitLabel("km")
    bar.setNumberOfSegments(2)
    bar.setNumberOfSegmentsLeft(0)
    bar.setUnitsPerSegment(float(spec.get("scale_km", 50)))
    bar.setHeight(2)
    place(bar, 160, 182)
    exporter = qgis.QgsLayoutExporter(layout)
    settings = qgis.QgsLayoutExporter.ImageExportSettings()
    settings.dpi = int(spec.get("layout_dpi", 120))
    result = exporter.exportToImage(spec["layout"], settings)
    return {
        "path": spec["layout"],
        "saved": result == qgis.QgsLayoutExporter.Success,
        "result": int(result),
        "layers": [layer.name() for layer in visible],
    }


def _visible_layers(spec: dict, root) -> list:
    """Layers to draw, top first: those checked in the project, or ``spec["show"]``
    (layer names) when given, e.g. to draw the unchecked density raster."""
    nodes = [node for node in root.findLayers() if node.layer() is not None]
    if spec.get("show"):
        wanted = list(spec["show"])
        by_name = {node.layer().name(): node.layer() for node in nodes}
        return [by_name[name] for name in wanted if name in by_name]
    return [node.layer() for node in nodes if node.isVisible()]


def _render(spec: dict, project, root, qgis) -> dict:
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    visible = _visible_layers(spec, root)
    settings = qgis.QgsMapSettings()
    settings.setLayers(visible)  # top first, as in the Layers panel
    settings.setDestinationCrs(project.crs())
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(
        QSize(int(spec.get("width", 1200)), int(spec.get("height", 900)))
    )
    settings.setOutputDpi(96)
    extent = project.viewSettings().defaultViewExtent()
    if extent.isEmpty():
        extent = qgis.QgsRectangle()
        for layer in visible:
            extent.combineExtentWith(layer.extent())
    settings.setExtent(extent.buffered(extent.width() * 0.02))
    settings.setFlag(qgis.QgsMapSettings.Antialiasing, True)
    settings.setFlag(qgis.QgsMapSettings.DrawLabeling, True)
    job = qgis.QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    saved = image.save(spec["render"], "PNG")
    return {
        "path": spec["render"],
        "saved": bool(saved),
        "layers": [layer.name() for layer in visible],
        "errors": [f"{e.layerID}: {e.message}" for e in job.errors()],
        "width": image.width(),
        "height": image.height(),
    }


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qgis.core as qgis
    from qgis.core import QgsApplication, QgsVectorLayer

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    report: dict = {"qgis_version": qgis.Qgis.QGIS_VERSION}
    try:
        if spec.get("gpkg"):
            report["gpkg_layers"] = _check_gpkg(spec, QgsVectorLayer)
        if spec.get("project"):
            report["project"] = _check_project(spec, qgis)
        report["ok"] = True
    except Exception:  # report, don't crash: the caller shows the traceback
        report["ok"] = False
        report["traceback"] = traceback.format_exc()
    print(json.dumps(report, default=str))
    sys.stdout.flush()
    sys.stderr.flush()
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    os._exit(main())
