"""What the command-line tests share: the Old Faithful sample and a main(argv) runner."""

import pytest

from gmm_studio.cli import main


@pytest.fixture
def faithful(samples_dir):
    return str(samples_dir / "old_faithful.csv")


@pytest.fixture
def run(capsys):
    """``run(*argv) -> (exit code, stdout, stderr)`` of ``main(argv)``; never a traceback."""

    def run_main(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run_main
