"""The frozen bundle, its tarball and the .deb: built once per session, each one smoke-tested.

Slow (a PyInstaller build), so only ``python3 -m pytest -m packaging`` runs them, as CI does:
these are the checks that a user who never runs pip gets a working GMM Studio.
"""

import os
import pathlib
import subprocess
import tarfile
import time

import pytest

from gmm_studio import resources

# The first test also waits for the session's installer build.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1500)]

MAX_BUNDLE_BYTES = 250 * 1000 * 1000
#: Qt libraries GMM Studio never uses; none may be in the bundle.
UNUSED_QT = ("Qt6Qml", "Qt6Quick", "Qt6Network", "Qt6Pdf", "Qt6Test", "Qt6Sql", "Qt6Multimedia",
             "Qt6WebEngine", "Qt6Designer", "Qt6PrintSupport", "Qt6Charts", "Qt63D")  # fmt: skip


def test_the_packaging_run_is_one_process_so_the_build_is_shared():
    # The default run spreads tests over one process per core; a second process here would
    # build the installers again and install the .deb twice at once.
    assert "PYTEST_XDIST_WORKER" not in os.environ


def test_frozen_bundle_passes_the_smoke_test_and_reports_time_to_window(
    installers, tmp_path, smoke
):
    executable = pathlib.Path(installers["bundle"]) / "gmm-studio"
    started = time.perf_counter()
    first_window = None
    lines = []
    with subprocess.Popen(
        [str(executable), "--smoke-test"],
        cwd=tmp_path,
        env=smoke.clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        for line in proc.stdout:
            lines.append(line)
            if first_window is None and line.startswith("smoke: window: ok"):
                first_window = time.perf_counter() - started
        stderr = proc.stderr.read()
        proc.wait(timeout=300)
    steps = smoke.steps(
        subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines), stderr)
    )
    assert steps["resources"].startswith(f"frozen; 2 samples, {len(resources.ICON_SIZES)} icons")
    assert " in process " in steps["big em"]  # the bundle spawns its EM pass process
    print(f"\nfrozen launch to window shown (measured outside): {first_window:.2f} s; "
          f"inside: {steps['window']}")  # fmt: skip


def test_bundle_stays_under_250_mb_and_leaves_out_unused_qt(installers):
    bundle = pathlib.Path(installers["bundle"])
    assert installers["bundle_bytes"] <= MAX_BUNDLE_BYTES, installers["bundle_bytes"]
    names = [p.name for p in bundle.rglob("*")]
    for lib in UNUSED_QT:
        assert not any(n.startswith(f"lib{lib}") for n in names), f"{lib} is in the bundle"
    for module in ("QtCore", "QtGui", "QtWidgets"):
        assert any(n.startswith(f"PySide6.{module}") or n.startswith(module) for n in names)


def test_tarball_unpacks_to_a_runnable_gmm_studio_folder(installers, tmp_path, smoke):
    with tarfile.open(installers["tarball"]) as tar:
        members = tar.getmembers()
        assert {m.name.split("/")[0] for m in members} == {"gmm-studio"}
        launcher = tar.getmember("gmm-studio/gmm-studio")
        assert launcher.mode & 0o111 and launcher.uname == "root"
        # Extraction filters came with Python 3.11.4 (Debian 12 has 3.11.2).
        tar.extractall(tmp_path, **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
    steps = smoke.steps(smoke.run([str(tmp_path / "gmm-studio" / "gmm-studio")], cwd=tmp_path))
    assert str(tmp_path) in steps["resources"]


def dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def test_deb_control_fields(installers):
    info = dpkg_deb("-I", installers["deb"])
    for field in ("Package: gmm-studio", "Version: 0.1.0", "Depends: libc6",
                  "Homepage: https://", "Installed-Size: "):  # fmt: skip
        assert field in info, info
    installed_kib = int(dpkg_deb("-f", installers["deb"], "Installed-Size"))
    assert installed_kib * 1024 >= installers["bundle_bytes"]


def test_deb_installs_bundle_launcher_desktop_entry_metainfo_icons_and_mime(installers):
    listing = dpkg_deb("-c", installers["deb"])
    paths = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    app_id = resources.APP_ID
    expected = {
        "/opt/gmm-studio/gmm-studio",
        "/usr/bin/gmm-studio",
        f"/usr/share/applications/{app_id}.desktop",
        f"/usr/share/metainfo/{app_id}.metainfo.xml",
        "/usr/share/mime/packages/gmm-studio.xml",
        "/usr/share/icons/hicolor/scalable/apps/gmm-studio.svg",
        "/usr/share/doc/gmm-studio/copyright",
        "/opt/gmm-studio/_internal/gmm_studio/samples/old_faithful.csv",
        "/opt/gmm-studio/_internal/gmm_studio/resources/icons/gmm-studio-512.png",
    } | {f"/usr/share/icons/hicolor/{s}x{s}/apps/gmm-studio.png" for s in resources.ICON_SIZES}
    assert expected <= paths, sorted(expected - paths)
    assert "usr/bin/gmm-studio -> ../../opt/gmm-studio/gmm-studio" in listing
    assert all(line.split()[1] == "root/root" for line in listing.splitlines())


def test_deb_extracted_into_a_root_runs_the_smoke_test_and_has_valid_metadata(
    installers, tmp_path, smoke
):
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", installers["deb"], str(root)], check=True)
    launcher = root / "usr" / "bin" / "gmm-studio"
    assert launcher.is_symlink() and os.access(launcher, os.X_OK)
    steps = smoke.steps(smoke.run([str(launcher)], cwd=tmp_path))
    assert steps["resources"].startswith("frozen")
    assert str(root / "opt" / "gmm-studio") in steps["resources"]

    share = root / "usr" / "share"
    desktop = share / "applications" / f"{resources.APP_ID}.desktop"
    subprocess.run(["desktop-file-validate", str(desktop)], check=True)
    metainfo = share / "metainfo" / f"{resources.APP_ID}.metainfo.xml"
    subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], check=True,
                   capture_output=True)  # fmt: skip
