"""The .deb installed the way a user installs it (``apt install ./gmm-studio_*.deb`` as root):
it runs, the desktop knows its menu entry, icon and session type, and ``apt remove`` takes
every trace away again.

Changes the machine it runs on, so it runs only in the packaging run, as root, with apt, and
never over a GMM Studio package that was installed before.
"""

import io
import os
import pathlib
import shutil
import subprocess
import tarfile

import pytest

from gmm_studio import resources

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1500)]

SHARE = pathlib.Path("/usr/share")
DESKTOP = SHARE / "applications" / f"{resources.APP_ID}.desktop"
#: dpkg's triggers rebuild these when a package adds files under their folders.
DESKTOP_CACHE = SHARE / "applications" / "mimeinfo.cache"
MIME_GLOBS = SHARE / "mime" / "globs2"
ICON_CACHE = SHARE / "icons" / "hicolor" / "icon-theme.cache"
CACHE_TOOLS = {
    "update-desktop-database": "desktop-file-utils",
    "update-mime-database": "shared-mime-info",
    "gtk-update-icon-cache": "gtk-update-icon-cache",
}


def apt(*args: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    proc = subprocess.run(
        ["apt", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"apt {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}"
    return proc


def installed(package: str) -> bool:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", package], capture_output=True, text=True
    )
    return proc.returncode == 0 and proc.stdout == "installed"


def owned_by_a_package(path: pathlib.Path) -> bool:
    return subprocess.run(["dpkg-query", "-S", str(path)], capture_output=True).returncode == 0


def read(path: pathlib.Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def registrations() -> dict[str, bool]:
    """Whether each desktop database names GMM Studio."""
    return {
        "menu entry handles .gmms": f"{resources.MIME_TYPE}={DESKTOP.name}".encode()
        in read(DESKTOP_CACHE),
        ".gmms glob": f"{resources.MIME_TYPE}:*{resources.SESSION_SUFFIX}".encode()
        in read(MIME_GLOBS),
        "icon cached": resources.ICON_NAME.encode() in read(ICON_CACHE),
    }


@pytest.fixture
def installable_here():
    if os.geteuid() != 0:
        pytest.skip("installing the .deb needs root")
    if shutil.which("apt") is None or shutil.which("dpkg-query") is None:
        pytest.skip("installing the .deb needs apt (a Debian-based system)")
    if installed("gmm-studio"):
        pytest.skip("a gmm-studio package is installed already; it is left alone")
    missing = [f"{tool} ({pkg})" for tool, pkg in CACHE_TOOLS.items() if not shutil.which(tool)]
    assert not missing, f"install {', '.join(missing)} so dpkg's triggers register the .deb"


def test_apt_installs_a_working_registered_gmm_studio_and_apt_remove_leaves_nothing(
    installers, installable_here, tmp_path, smoke
):
    deb = pathlib.Path(installers["deb"])
    files = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(files)) as tar:
        shipped = [pathlib.Path("/", m.name) for m in tar.getmembers() if m.name not in (".", "./")]
    new = [path for path in shipped if not os.path.lexists(path)]
    assert pathlib.Path("/opt/gmm-studio") in new and DESKTOP in new
    before = registrations()
    assert not any(before.values()), before

    apt("install", "-y", f"./{deb.name}", cwd=deb.parent)
    try:
        assert installed("gmm-studio")
        steps = smoke.steps(smoke.run(["/usr/bin/gmm-studio"], cwd=tmp_path))
        assert steps["resources"].startswith("frozen") and "/opt/gmm-studio" in steps["resources"]
        assert DESKTOP.is_file()
        assert (SHARE / "icons" / "hicolor" / "scalable" / "apps" / "gmm-studio.svg").is_file()
        assert registrations() == dict.fromkeys(before, True), registrations()
    finally:
        apt("remove", "-y", "gmm-studio")

    assert not installed("gmm-studio")
    # A folder may now belong to a package apt installed alongside (hicolor-icon-theme).
    left = [str(path) for path in new if os.path.lexists(path) and not owned_by_a_package(path)]
    assert not left, f"left behind after apt remove: {left}"
    assert registrations() == before
