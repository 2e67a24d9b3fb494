"""Writers of publishable artefacts: GeoPackage with QGIS styles, report."""
