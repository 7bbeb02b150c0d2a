"""Build GMM Studio's desktop installers: the PyInstaller bundle, a tarball and a Debian package.

Usage (from anywhere; paths are relative to the repository)::

    python packaging/build.py                 # everything, into dist/
    python packaging/build.py --dist-dir OUT  # elsewhere
    python packaging/build.py --reuse-bundle  # repackage an existing OUT/gmm-studio

Outputs in the dist folder::

    gmm-studio/                                  the one-directory bundle (gmm-studio/gmm-studio)
    gmm-studio-<version>-linux-<machine>.tar.gz  that folder, for unpack-and-run
    gmm-studio_<version>_<arch>.deb              installs it under /opt/gmm-studio
    build-report.json                            sizes and timings of this build

The Debian package holds the bundle in ``/opt/gmm-studio``, a ``/usr/bin/gmm-studio`` launcher
(relative symbolic link, so an extracted tree works too), the desktop entry, AppStream
metainfo, hicolor icons and the shared-mime-info type for ``.gmms`` sessions. dpkg's file
triggers (desktop-file-utils, shared-mime-info, hicolor-icon-theme) refresh the caches on
install, so the package needs no maintainer scripts. Needs ``dpkg-deb``, ``appstreamcli`` and
``desktop-file-validate``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
LINUX = PACKAGING / "linux"
SPEC = PACKAGING / "gmm_studio.spec"
ICONS = REPO / "gmm_studio" / "resources" / "icons"

APP_ID = "io.github.gmm_studio.GMMStudio"  # same as gmm_studio.resources.APP_ID
PACKAGE_NAME = "gmm-studio"
BUNDLE_NAME = "gmm-studio"
INSTALL_PREFIX = "opt/gmm-studio"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
MAINTAINER = "GMM Studio developers <gmm-studio@users.noreply.github.com>"
HOMEPAGE = "https://github.com/gmm-studio/gmm-studio"

# System libraries the bundle needs but PyInstaller leaves to the system (GL/EGL, libxcb,
# which must match the user's display stack) or could not bundle here (the xcb and wayland
# platform plugins' helpers), as Debian packages; the X11 ones are
# gmm_studio.gui.app.XCB_PACKAGES. Qt's own libraries, ICU, Python, numpy and scipy are inside
# the bundle. libc6's minimum version is read from the bundle itself.
DEPENDS = (
    "libegl1",
    "libgl1",
    "libopengl0",
    "libfontconfig1",
    "libfreetype6",
    "libglib2.0-0",
    "libdbus-1-3",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
)
# The hicolor theme gives the icons their index (and the icon cache its trigger).
RECOMMENDS = ("fonts-dejavu-core | fonts-liberation2", "hicolor-icon-theme")

DESCRIPTION = """\
Watch Gaussian mixture models learn
 GMM Studio is a desktop application showing Expectation-Maximization fit a
 Gaussian mixture model iteration by iteration: the means and covariance
 ellipses move, points take the colours of the components that claim them and
 the log-likelihood curve climbs. For exploration and live teaching demos.
 .
 This package holds a self-contained build (Python, Qt and numerical
 libraries included) installed under /opt/gmm-studio."""

COPYRIGHT = f"""\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: GMM Studio
Source: {HOMEPAGE}

Files: *
Copyright: The GMM Studio developers
License: MIT

Files: opt/gmm-studio/_internal/*
Copyright: The Python Software Foundation, The Qt Company, the NumPy, SciPy and
 pyqtgraph developers, and others
License: various
 The bundled third-party components keep their own licences (PSF, LGPL-3 for
 Qt and PySide6, BSD for NumPy, SciPy and pyqtgraph); see their metadata
 folders inside /opt/gmm-studio/_internal.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.
"""


class BuildError(RuntimeError):
    """A build step failed; the message says which and why."""


def project_version() -> str:
    """Return ``__version__`` from ``gmm_studio/__init__.py`` without importing the package."""
    text = (REPO / "gmm_studio" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BuildError("gmm_studio/__init__.py has no __version__")
    return match.group(1)


def debian_architecture() -> str:
    """Return dpkg's name for this machine's architecture (e.g. ``amd64``)."""
    return _run(["dpkg", "--print-architecture"]).strip()


def tree_size(path: Path) -> int:
    """Return the total size in bytes of the regular files under ``path`` (links not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def glibc_requirement(bundle: Path) -> str:
    """Return the newest ``GLIBC_x.y`` symbol version any ELF file in ``bundle`` asks for."""
    newest = (2, 17)
    pattern = re.compile(rb"GLIBC_(\d+)\.(\d+)")
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) != b"\x7fELF":
                    continue
                data = handle.read()
            for major, minor in pattern.findall(data):
                newest = max(newest, (int(major), int(minor)))
    return f"{newest[0]}.{newest[1]}"


def _run(cmd: list[str], **kwargs) -> str:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise BuildError(
            f"{' '.join(map(str, cmd))} failed (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    return result.stdout


def build_bundle(dist_dir: Path, work_dir: Path) -> Path:
    """Run PyInstaller on the spec and return the bundle folder ``dist_dir/gmm-studio``."""
    cmd = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(dist_dir), "--workpath", str(work_dir / "pyinstaller"), str(SPEC),
    ]  # fmt: skip
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    _run(cmd, cwd=REPO, env=env)
    bundle = dist_dir / BUNDLE_NAME
    if not (bundle / BUNDLE_NAME).is_file():
        raise BuildError(f"PyInstaller produced no executable at {bundle / BUNDLE_NAME}")
    return bundle


def remove_dangling_symlinks(bundle: Path) -> int:
    """Delete symbolic links whose target the spec left out (e.g. an unused Qt library)."""
    dangling = [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]
    for link in dangling:
        link.unlink()
    return len(dangling)


def strip_debug_info(bundle: Path) -> int:
    """Remove debug sections from the bundle's ELF files that have them; return bytes saved.

    Python built from source (pyenv, a CI image) ships ``libpython`` and its extension
    modules with debug information: tens of MB the application never reads. Only files with a
    ``.debug_info`` section are touched, and the wheels' vendored ``*.libs`` folders never
    (patched by auditwheel, they break when rewritten by ``strip``).
    """
    if shutil.which("strip") is None:
        return 0
    saved = 0
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.parent.name.endswith(".libs"):
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
            if b".debug_info" not in handle.read():
                continue
        before = path.stat().st_size
        _run(["strip", "--strip-debug", str(path)])
        saved += before - path.stat().st_size
    return saved


def make_tarball(bundle: Path, dist_dir: Path, version: str) -> Path:
    """Pack the bundle folder as ``gmm-studio/`` in a gzip tarball and return its path."""
    target = dist_dir / f"{PACKAGE_NAME}-{version}-linux-{platform.machine()}.tar.gz"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=BUNDLE_NAME, filter=normalise)
    return target


def _install(src: Path, dst: Path, mode: int = 0o644) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    dst.chmod(mode)


def stage_deb_root(bundle: Path, root: Path, version: str, arch: str) -> None:
    """Lay out the Debian package's file tree and control file under ``root``."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / INSTALL_PREFIX, symlinks=True)
    launcher = root / "usr" / "bin" / PACKAGE_NAME
    launcher.parent.mkdir(parents=True)
    # Relative, so the launcher also works in a tree extracted with dpkg-deb -x.
    launcher.symlink_to(Path("..", "..", INSTALL_PREFIX, BUNDLE_NAME))

    share = root / "usr" / "share"
    _install(LINUX / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    _install(LINUX / f"{APP_ID}.metainfo.xml", share / "metainfo" / f"{APP_ID}.metainfo.xml")
    _install(LINUX / "gmm-studio-mime.xml", share / "mime" / "packages" / "gmm-studio.xml")
    hicolor = share / "icons" / "hicolor"
    for size in ICON_SIZES:
        _install(
            ICONS / f"gmm-studio-{size}.png", hicolor / f"{size}x{size}" / "apps" / "gmm-studio.png"
        )
    _install(ICONS / "gmm-studio.svg", hicolor / "scalable" / "apps" / "gmm-studio.svg")
    doc = share / "doc" / PACKAGE_NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")

    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            executable = path.stat().st_mode & 0o111
            path.chmod(0o755 if executable else 0o644)

    installed_kib = (tree_size(root) + 1023) // 1024
    control = {
        "Package": PACKAGE_NAME,
        "Version": version,
        "Architecture": arch,
        "Maintainer": MAINTAINER,
        "Installed-Size": str(installed_kib),
        "Depends": ", ".join([f"libc6 (>= {glibc_requirement(bundle)})", *DEPENDS]),
        "Recommends": ", ".join(RECOMMENDS),
        "Section": "science",
        "Priority": "optional",
        "Homepage": HOMEPAGE,
        "Description": DESCRIPTION,
    }
    debian = root / "DEBIAN"
    debian.mkdir(mode=0o755)
    text = "".join(f"{key}: {value}\n" for key, value in control.items())
    (debian / "control").write_text(text, encoding="utf-8")


def make_deb(root: Path, dist_dir: Path, version: str, arch: str, compression: str) -> Path:
    """Build the ``.deb`` from a staged tree with ``dpkg-deb`` and return its path.

    ``compression`` is ``gzip`` (fast: the default, for CI) or ``xz`` (a third smaller, four
    times slower: for releases).
    """
    target = dist_dir / f"{PACKAGE_NAME}_{version}_{arch}.deb"
    level = {"gzip": "-z6", "xz": "-z6"}[compression]
    cmd = ["dpkg-deb", "--root-owner-group", f"-Z{compression}", level, "--build"]
    _run([*cmd, str(root), str(target)])
    return target


def validate_metadata(root: Path) -> list[str]:
    """Validate the staged desktop entry and AppStream metainfo; return the tools used.

    Raises
    ------
    BuildError
        If a validator rejects a file or is missing.
    """
    share = root / "usr" / "share"
    checks = {
        "appstreamcli": ("appstream", ["validate", "--no-net",
                                       share / "metainfo" / f"{APP_ID}.metainfo.xml"]),
        "desktop-file-validate": ("desktop-file-utils",
                                  [share / "applications" / f"{APP_ID}.desktop"]),
    }  # fmt: skip
    for tool, (package, args) in checks.items():
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} not found (Debian package: {package})")
        _run([tool, *map(str, args)])
    return list(checks)


def build_all(
    dist_dir: Path, work_dir: Path, reuse_bundle: bool = False, deb_compression: str = "gzip"
) -> dict:
    """Build bundle, tarball and ``.deb``; return a report of paths, sizes and seconds."""
    dist_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    version, arch = project_version(), debian_architecture()
    report: dict = {"version": version, "arch": arch}

    started = time.perf_counter()
    if reuse_bundle:
        bundle = dist_dir / BUNDLE_NAME
        if not (bundle / BUNDLE_NAME).is_file():
            raise BuildError(f"--reuse-bundle: no bundle at {bundle}")
    else:
        bundle = build_bundle(dist_dir, work_dir)
        report["dangling_symlinks_removed"] = remove_dangling_symlinks(bundle)
        report["debug_info_stripped_bytes"] = strip_debug_info(bundle)
    report["bundle_seconds"] = round(time.perf_counter() - started, 1)

    step = time.perf_counter()
    tarball = make_tarball(bundle, dist_dir, version)
    report["tarball_seconds"] = round(time.perf_counter() - step, 1)

    step = time.perf_counter()
    root = work_dir / "deb-root"
    stage_deb_root(bundle, root, version, arch)
    report["validated_with"] = validate_metadata(root)
    deb = make_deb(root, dist_dir, version, arch, deb_compression)
    shutil.rmtree(root)
    report["deb_seconds"] = round(time.perf_counter() - step, 1)

    report.update(
        bundle=str(bundle),
        tarball=str(tarball),
        deb=str(deb),
        bundle_bytes=tree_size(bundle),
        tarball_bytes=tarball.stat().st_size,
        deb_bytes=deb.stat().st_size,
        total_seconds=round(time.perf_counter() - started, 1),
    )
    (dist_dir / "build-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description="Build GMM Studio's bundle, tarball and .deb.")
    parser.add_argument("--dist-dir", type=Path, default=REPO / "dist", help="output folder")
    parser.add_argument(
        "--work-dir", type=Path, default=REPO / "build", help="scratch folder for PyInstaller"
    )
    parser.add_argument(
        "--reuse-bundle", action="store_true", help="package an already built DIST/gmm-studio"
    )
    parser.add_argument(
        "--deb-compression", choices=("gzip", "xz"), default="gzip", help="default: gzip"
    )
    args = parser.parse_args(argv)
    try:
        report = build_all(
            args.dist_dir.resolve(), args.work_dir.resolve(), args.reuse_bundle,
            args.deb_compression,
        )  # fmt: skip
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    mib = 1024 * 1024
    print(f"bundle  {report['bundle']}  {report['bundle_bytes'] / mib:.1f} MiB uncompressed")
    print(f"tarball {report['tarball']}  {report['tarball_bytes'] / mib:.1f} MiB")
    print(f"deb     {report['deb']}  {report['deb_bytes'] / mib:.1f} MiB")
    print(
        f"time    {report['total_seconds']} s (bundle {report['bundle_seconds']} s, "
        f"tarball {report['tarball_seconds']} s, deb {report['deb_seconds']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
