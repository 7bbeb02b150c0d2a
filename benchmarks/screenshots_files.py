"""Offscreen screenshots of the file-handling parts: import dialog, generate dialog, and the
window with 3-D data showing two chosen columns, plus the canvas exported as SVG (rendered).

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/screenshots_files.py OUTPUT_FOLDER

Settings and autosaves go to a temporary folder, never the user's.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile

from gmm_studio.model import FitState

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = pathlib.Path(argv[0] if argv else ".").resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="gmm-studio-shots-"))
    os.environ["GMM_STUDIO_DATA_DIR"] = str(scratch / "data")

    import numpy as np
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(scratch / "settings"))

    from gmm_studio.core import FitSettings
    from gmm_studio.gui.app import create_main_window, ensure_application
    from gmm_studio.gui.canvas_export import export_svg
    from gmm_studio.gui.control_panel import SPEED_MAX
    from gmm_studio.gui.document import Document
    from gmm_studio.gui.generate_dialog import GenerateDialog
    from gmm_studio.gui.import_dialog import ImportDialog
    from gmm_studio.io import inspect_table

    ensure_application()

    from event_loop import spin, wait_for

    # A 3-D data set: three clusters that separate in (length, depth) but not in width.
    rng = np.random.default_rng(4)
    centres = np.array([[2.0, 10.0, 1.0], [6.0, 10.5, 4.0], [4.0, 9.5, 8.0]])
    X = np.vstack([c + rng.normal(scale=[0.8, 1.2, 0.9], size=(80, 3)) for c in centres])
    names = ["length", "width", "depth"]
    csv = scratch / "specimens.csv"
    lines = ["specimen,length,width,depth"] + [
        f"s{i},{a:.3f},{b:.3f},{c:.3f}" for i, (a, b, c) in enumerate(X)
    ]
    lines[5] = "s4,3.1,,2.2"  # one incomplete row
    csv.write_text("\n".join(lines) + "\n")

    dialog = ImportDialog(inspect_table(csv))
    dialog.show()
    spin(200)
    dialog.grab().save(str(out / "import-dialog.png"))
    dialog.close()

    generate = GenerateDialog()
    generate.preset_combo.setCurrentIndex(generate.preset_combo.findData("anisotropic"))
    generate.show()
    spin(200)
    generate.grab().save(str(out / "generate-dialog.png"))
    generate.close()

    doc = Document(X, names, name="specimens.csv", settings=FitSettings(n_components=3, seed=1))
    window = create_main_window(doc)
    window.resize(1360, 900)
    window.show()
    window.panel.set_speed_position(SPEED_MAX)
    window.axes_bar.y_combo.setCurrentIndex(2)  # length against depth
    wait_for(lambda: window.fit.state is FitState.READY)
    window.run_or_pause()
    wait_for(lambda: window.fit.state in (FitState.CONVERGED, FitState.STOPPED))
    spin(300)
    window.grab().save(str(out / "window-3d-length-depth.png"))

    svg = out / "canvas.svg"
    export_svg(window.canvas, svg)
    renderer = QSvgRenderer(str(svg))
    image = QImage(renderer.defaultSize(), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(out / "canvas-svg-rendered.png"))
    print(
        f"state: {window.fit.state.value}, iteration {window.document.iteration}, axes {doc.axes}"
    )
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
