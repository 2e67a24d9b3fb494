"""Render docs/map.png from a publication with the real QGIS (a print layout).

Run by the system Python after `agglo run` (or any publication):
``QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/render_docs_map.py
published/georgia-demo/all/latest docs/map.png "LISA clusters of NAICS 3141 ..."``.
It draws the layers the project shows on opening (clusters, the focus industry's
LISA map, regions) with a legend and a scale bar, via qgis_check.py.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    publication, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    title = sys.argv[3] if len(sys.argv) > 3 else ""
    spec = {
        "project": str(publication / "agglomeration.qgz"),
        "layout": str(out),
        "layout_title": title,
        "layout_dpi": 110,
        "legend_exclude": ["Regions"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("qgis_check.py")),
                str(spec_path),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    layout = report.get("project", {}).get("layout", {})
    print(json.dumps(layout))
    return 0 if layout.get("saved") else 1


if __name__ == "__main__":
    sys.exit(main())
