"""Animations written to disk and read back."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gmm_studio.io import DataFileError
from gmm_studio.io.recording import write_animation


def frames(n=6, h=41, w=63):
    out = []
    for i in range(n):
        f = np.full((h, w, 3), 255, np.uint8)
        f[:, : (i + 1) * w // n] = (0, 114, 178)  # a bar growing frame by frame
        out.append(f)
    return out


def test_gif_has_every_frame_in_order(tmp_path):
    path = write_animation(tmp_path / "run.gif", frames(), fps=4)
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.size == (63, 41)
        assert gif.info["duration"] == 250 and gif.info["loop"] == 0
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(5)
        last = np.asarray(gif.convert("RGB"))
    assert (first[:, -1] == 255).all() and (last[:, -1] == (0, 114, 178)).all()


def test_mp4_has_every_frame_and_even_size(tmp_path):
    import imageio_ffmpeg

    path = write_animation(tmp_path / "run.mp4", frames(), fps=5)
    decode = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path)]
    raw = subprocess.run(
        [*decode, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True
    ).stdout
    video = np.frombuffer(raw, np.uint8).reshape(-1, 42, 64, 3)  # odd sizes padded to even
    assert len(video) == 6
    assert abs(int(video[0, 20, -1, 0]) - 255) < 8 and abs(int(video[-1, 20, -1, 2]) - 178) < 12
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (6, pytest.approx(6 / 5))


@pytest.mark.parametrize(
    ("name", "problem"),
    [("run.avi", ".gif or .mp4"), ("missing-folder/run.gif", "cannot be written")],
)
def test_bad_targets_are_data_file_errors(tmp_path, name, problem):
    with pytest.raises(DataFileError, match=problem):
        write_animation(tmp_path / name, frames(), fps=2)
    with pytest.raises(DataFileError, match="no frames"):
        write_animation(tmp_path / "empty.gif", [], fps=2)


@pytest.mark.parametrize(("suffix", "module"), [(".gif", "PIL"), (".mp4", "imageio_ffmpeg")])
def test_a_missing_writer_names_the_extra(tmp_path, suffix, module):
    script = (
        f"import sys; sys.modules[{module!r}] = None\n"  # as if the package were not installed
        "import numpy as np\n"
        "from gmm_studio.io.recording import write_animation\n"
        "from gmm_studio.io import DataFileError\n"
        "try:\n"
        f"    write_animation({str(tmp_path / ('run' + suffix))!r}, [np.zeros((4, 4, 3), np.uint8)], 2)\n"
        "except DataFileError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert 'pip install "gmm-studio[record]"' in out.stdout
