"""Cold-start imports of the packaged Lambda code, as ratios to a bare `import chalice, boto3`.

Runs `make package`'s build (chalice package + bytecode), extracts the zip read-only like
Lambda's /var/task, and times fresh interpreters importing from it: the app with the
shipped .pyc files, the app with them removed (what Lambda would recompile on every cold
start, since it can't write __pycache__), and the baseline. boto3 comes from the virtualenv,
standing in for the one in the Lambda runtime.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from devtools.package import PROJECT_DIR

RUNS = 9
PROBE = "import time, sys; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _import_seconds(task_dir: Path, stmt: str) -> float:
    site = sysconfig.get_paths()["purelib"]
    code = f"import sys; sys.path[:0] = [{str(task_dir)!r}]; sys.path.append({site!r}); " + PROBE.format(stmt=stmt)
    samples = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-S", "-B", "-c", code], capture_output=True, text=True,
                             check=True, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
        samples.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


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
        bare = _import_seconds(with_pyc, "import chalice, boto3")
        app_pyc = _import_seconds(with_pyc, "import app")
        app_source = _import_seconds(without_pyc, "import app")
        qr_route = _import_seconds(with_pyc, "import app; import chalicelib.formats.qr")
    print(f"cold import, median of {RUNS} fresh interpreters:")
    print(f"  bare `import chalice, boto3`       {bare * 1000:7.1f} ms  (baseline)")
    print(f"  packaged app, with shipped .pyc     {app_pyc * 1000:7.1f} ms  {app_pyc / bare:.2f}x baseline (goal <= 1.15x)")
    print(f"  packaged app, without .pyc          {app_source * 1000:7.1f} ms  {app_source / bare:.2f}x baseline"
          f"  ({app_source / app_pyc:.1f}x slower than with .pyc)")
    print(f"  app + qrcode (first QR request)     {qr_route * 1000:7.1f} ms  {qr_route / bare:.2f}x baseline")


if __name__ == "__main__":
    main()
