"""Cold-start imports of the packaged Lambda code, as ratios to a bare `import chalice, boto3`.

Runs `make package`'s build (chalice package + bytecode), extracts the zip read-only like
Lambda's /var/task, and times fresh interpreters importing from it: the app with the
shipped .pyc files, the app with them removed (what Lambda would recompile on every cold
start, since it can't write __pycache__), and the baseline. boto3 comes from the virtualenv,
standing in for the one in the Lambda runtime.
"""
from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from devtools.package import PROJECT_DIR

RUNS = 15
PROBE = "import time, sys; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _import_once(task_dir: Path, stmt: str) -> float:
    site = sysconfig.get_paths()["purelib"]
    code = f"import sys; sys.path[:0] = [{str(task_dir)!r}]; sys.path.append({site!r}); " + PROBE.format(stmt=stmt)
    out = subprocess.run([sys.executable, "-S", "-B", "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    return float(out.stdout.strip().splitlines()[-1])


def _instructions(task_dir: Path, stmt: str) -> int | None:
    """Instructions executed by a fresh interpreter running `stmt` (valgrind's callgrind), or None
    without valgrind. Unlike wall time on a shared 2-core VM, the count repeats to the digit."""
    if not shutil.which("valgrind"):
        return None
    site = sysconfig.get_paths()["purelib"]
    code = f"import sys; sys.path[:0] = [{str(task_dir)!r}]; sys.path.append({site!r}); {stmt}"
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-S", "-B", "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    found = re.search(r"Collected : (\d+)", out.stderr)
    return int(found.group(1)) if found else None


def _medians(probes: dict[str, tuple[Path, str]]) -> dict[str, float]:
    """Median seconds per probe; the probes take turns, so a load change hits them all alike."""
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for _ in range(RUNS):
        for name, (task_dir, stmt) in probes.items():
            samples[name].append(_import_once(task_dir, stmt))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "build"
        subprocess.run([sys.executable, "-m", "devtools.package", "--stage", "dev", "--out", str(out)],
                       cwd=PROJECT_DIR, check=True, capture_output=True)
        with_pyc = Path(work) / "task"
        with zipfile.ZipFile(out / "dev" / "deployment.zip") as archive:
            archive.extractall(with_pyc)
        without_pyc = Path(work) / "task-no-pyc"
        shutil.copytree(with_pyc, without_pyc, ignore=shutil.ignore_patterns("__pycache__"))

        # `-B` keeps Python from writing bytecode, as on Lambda's read-only /var/task.
        medians = _medians({
            "bare": (with_pyc, "import chalice, boto3"),
            "app_pyc": (with_pyc, "import app"),
            "app_source": (without_pyc, "import app"),
            "qr_route": (with_pyc, "import app; import chalicelib.formats.qr"),
        })
        bare, app_pyc, app_source = medians["bare"], medians["app_pyc"], medians["app_source"]
        qr_route = medians["qr_route"]
        # The interpreter's own start-up is subtracted, as the wall-clock probes time the import alone.
        counts = {name: _instructions(with_pyc, stmt) for name, stmt in
                  (("startup", "pass"), ("bare", "import chalice, boto3"), ("app", "import app"))}
    print(f"cold import, median of {RUNS} fresh interpreters per line, taking turns:")
    print(f"  bare `import chalice, boto3`       {bare * 1000:7.1f} ms  (baseline)")
    print(f"  packaged app, with shipped .pyc     {app_pyc * 1000:7.1f} ms  {app_pyc / bare:.2f}x baseline"
          f" (goal <= 1.15x)")
    print(f"  packaged app, without .pyc          {app_source * 1000:7.1f} ms  {app_source / bare:.2f}x baseline"
          f"  ({app_source / app_pyc:.1f}x slower than with .pyc)")
    print(f"  app + qrcode (first QR request)     {qr_route * 1000:7.1f} ms  {qr_route / bare:.2f}x baseline")
    if None not in counts.values():
        startup, bare_count, app_count = (int(counts[name] or 0) for name in ("startup", "bare", "app"))
        bare_net, app_net = bare_count - startup, app_count - startup
        print("instructions executed (callgrind, deterministic), interpreter start-up subtracted:")
        print(f"  bare `import chalice, boto3`   {bare_net / 1e6:9.1f} M  (baseline)")
        print(f"  packaged app, with .pyc        {app_net / 1e6:9.1f} M  {app_net / bare_net:.2f}x baseline"
              " (goal <= 1.15x)")


if __name__ == "__main__":
    main()
