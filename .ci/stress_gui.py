"""Run the GUI tests many times in a row with CPU load alongside, and count the failures.

Usage, from the repository root::

    python3 .ci/stress_gui.py                 # 20 runs of tests/gui, one busy process alongside
    python3 .ci/stress_gui.py --runs 5 --load 2 --nice 10 -- -k live_em

Each run is ``python -X faulthandler -m pytest tests/gui -q -p no:cacheprovider`` (plus what
follows ``--``) in a fresh process, with the checkout first on ``PYTHONPATH``. Busy-looping
processes compete for the CPU the whole time, so timers, threads and the event loop see the
delays a loaded machine gives them. A run is counted as passed, failed (a test failed),
crashed (the process died from a signal, or Python reported a fatal error) or hung
(pytest-timeout stopped a test, or the run exceeded ``--run-timeout``). The output of every
run that did not pass is kept in ``--log-dir``, and the last line printed is the summary::

    stress: 20 runs: 20 passed, 0 failed, 0 crashed, 0 hung (load 1, 41.2-58.9 s per run)

Exit status 0 only if every run passed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
BUSY_LOOP = "while True: pass"


def classify(returncode: int | None, output: str) -> str:
    """Return ``passed``, ``failed``, ``crashed`` or ``hung`` for one finished run."""
    if returncode is None or "+++++ Timeout +++++" in output:
        return "hung"
    if returncode < 0 or "Fatal Python error" in output:
        return "crashed"
    return "passed" if returncode == 0 else "failed"


def run_once(command: list[str], timeout: float, nice: int) -> tuple[int | None, str, float]:
    """Run ``command`` once; return its exit code (None if killed at ``timeout``), output
    and seconds."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.nice(nice)) if nice else None, start_new_session=True,
        )  # fmt: skip
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            returncode = None
        out.seek(0)
        return returncode, out.read(), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="number of runs (default 20)")
    parser.add_argument("--load", type=int, default=1, help="busy processes alongside (1)")
    parser.add_argument("--nice", type=int, default=0, help="niceness of the test runs (0)")
    parser.add_argument("--run-timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--log-dir", type=pathlib.Path, default=pathlib.Path("stress-logs"))
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    args = parser.parse_args(argv)

    command = [sys.executable, "-X", "faulthandler", "-m", "pytest", "tests/gui", "-q",
               "-p", "no:cacheprovider", *args.pytest_args]  # fmt: skip
    load = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.load)]
    counts = dict.fromkeys(("passed", "failed", "crashed", "hung"), 0)
    seconds = []
    try:
        for number in range(1, args.runs + 1):
            returncode, output, elapsed = run_once(command, args.run_timeout, args.nice)
            verdict = classify(returncode, output)
            counts[verdict] += 1
            seconds.append(elapsed)
            summary = output.strip().splitlines()[-1] if output.strip() else ""
            note = ""
            if verdict != "passed":
                args.log_dir.mkdir(parents=True, exist_ok=True)
                log = args.log_dir / f"run-{number:03d}-{verdict}.log"
                log.write_text(output, encoding="utf-8")
                note = f" -> {log}"
            print(f"stress: run {number}: {verdict} (exit {returncode}, {elapsed:.1f} s) "
                  f"{summary}{note}", flush=True)  # fmt: skip
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
    spread = f"{min(seconds):.1f}-{max(seconds):.1f} s per run" if seconds else "no runs"
    print(f"stress: {len(seconds)} runs: " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + f" (load {args.load}, {spread})")  # fmt: skip
    return 0 if counts["passed"] == len(seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
