"""Desktop entry, AppStream metainfo and MIME type: valid, and consistent with each other."""

import configparser
import importlib.util
import pathlib
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from gmm_studio import resources
from gmm_studio.gui.app import XCB_PACKAGES

REPO = pathlib.Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
DESKTOP = LINUX / f"{resources.APP_ID}.desktop"
METAINFO = LINUX / f"{resources.APP_ID}.metainfo.xml"
MIME_XML = LINUX / "gmm-studio-mime.xml"


def tool(name: str, package: str) -> str:
    """Path of a validator the packaging run needs (``python3 -m pytest -m packaging``)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed: apt-get install {package} (CI's .ci/run installs it)")
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.packaging
def test_desktop_entry_passes_desktop_file_validate():
    proc = subprocess.run(
        [tool("desktop-file-validate", "desktop-file-utils"), str(DESKTOP)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "error" not in proc.stdout.lower(), proc.stdout


@pytest.mark.packaging
def test_metainfo_passes_appstreamcli_validate():
    proc = subprocess.run(
        [tool("appstreamcli", "appstream"), "validate", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_desktop_entry_launches_gmm_studio_with_its_icon_and_session_type():
    entry = desktop_entry()
    assert entry["Exec"].split()[0] == "gmm-studio"
    assert entry["Icon"] == resources.ICON_NAME
    assert resources.MIME_TYPE in entry["MimeType"].split(";")


def test_metainfo_names_the_desktop_entry_binary_session_type_and_a_screenshot():
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == resources.APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "gmm-studio"
    assert root.findtext("provides/mediatype") == resources.MIME_TYPE
    image = root.find("screenshots/screenshot/image")
    assert image is not None and image.text.startswith("https://")


def test_screenshot_in_the_metainfo_is_committed_at_its_declared_size(qapp):
    from PySide6.QtGui import QImage

    image = ET.parse(METAINFO).getroot().find("screenshots/screenshot/image")
    relative = image.text.split("/main/", 1)[1]  # the repository path in the raw URL
    picture = QImage(str(REPO / relative))
    assert not picture.isNull(), relative
    assert (picture.width(), picture.height()) == (
        int(image.get("width")),
        int(image.get("height")),
    )


@pytest.mark.packaging
def test_mime_database_maps_session_files_to_the_gmm_studio_type(tmp_path):
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages / "gmm-studio.xml")
    subprocess.run(
        [tool("update-mime-database", "shared-mime-info"), str(tmp_path / "mime")],
        capture_output=True,
        check=True,
    )
    globs = (tmp_path / "mime" / "globs2").read_text()
    assert f"{resources.MIME_TYPE}:*{resources.SESSION_SUFFIX}" in globs
    subclasses = (tmp_path / "mime" / "subclasses").read_text()
    assert f"{resources.MIME_TYPE} application/json" in subclasses


def build_script():
    spec = importlib.util.spec_from_file_location("build", REPO / "packaging" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_build_script_uses_the_same_application_id_and_icon_sizes():
    build = build_script()
    assert build.APP_ID == resources.APP_ID
    assert build.ICON_SIZES == resources.ICON_SIZES


def test_the_deb_and_the_readme_name_every_x11_library_the_platform_hint_names():
    assert set(XCB_PACKAGES) <= set(build_script().DEPENDS)
    quick_start = (REPO / "README.md").read_text(encoding="utf-8").split("## Quick start")[1]
    quick_start = quick_start.split("\n## ")[0]
    missing = [name for name in XCB_PACKAGES if name not in quick_start.split()]
    assert not missing, f"the README's Quick start does not name {missing}"
