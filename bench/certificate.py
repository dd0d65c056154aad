"""What the donation certificate (SPEC §8) costs: its generation time, and what reportlab adds to the
Lambda zip and to a cold start. Ratios to baselines of the same run:

* generation: rendering one certificate (20 donated items, the most a registration holds) vs
  rendering one ticket QR PNG, warm, median of many;
* cold start: fresh interpreters importing the packaged app, then the app plus the certificate's
  encoder (reportlab, STSong-Light registered), vs the bare `import chalice, boto3`;
* zip: the compressed bytes of reportlab (and Pillow and charset-normalizer, which pip installs
  with it although the certificate draws no image) vs the whole deployment zip; the item tags'
  glyph table is listed too.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.cold_start import _import_once
from devtools.package import PROJECT_DIR

RUNS = 9
RENDERS = 60


def _certificate() -> object:
    from chalicelib.formats import certificate

    items = [certificate.DonatedItem(f"C-{n:04d}", f"毛主席像章（1968年）第{n}枚", "遵义市红色收藏博物馆", "2026-12-20")
             for n in range(1, 21)]
    return certificate.Certificate("买买提·艾力", items, "某某市新媒体协会", "全国红色收藏交流会", "2026-12-21")


def _median_seconds(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _zip_breakdown(zip_path: Path) -> dict[str, int]:
    groups = {"reportlab": 0, "PIL+pillow.libs": 0, "charset_normalizer": 0, "glyphs.bin": 0, "total": 0}
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            name, size = info.filename, info.compress_size
            groups["total"] += size
            top = name.split("/")[0]
            if top.startswith("reportlab"):
                groups["reportlab"] += size
            elif top.startswith(("PIL", "pillow")):
                groups["PIL+pillow.libs"] += size
            elif top.startswith("charset_normalizer"):
                groups["charset_normalizer"] += size
            elif name.endswith("glyphs.bin"):
                groups["glyphs.bin"] += size
    return groups


def main() -> None:
    from chalicelib.formats import certificate, qr

    document = _certificate()
    certificate.render(document)  # warm
    pdf_seconds = _median_seconds(lambda: certificate.render(document), RENDERS)
    qr_seconds = _median_seconds(lambda: qr.render_png("http://127.0.0.1:8000/t/RED-EXPO.A" + "X" * 48), RENDERS)
    size = len(certificate.render(document))
    print("donation certificate (20 items), warm, median of", RENDERS)
    print(f"  ticket QR PNG (baseline)            {qr_seconds * 1000:7.1f} ms")
    print(f"  certificate PDF                     {pdf_seconds * 1000:7.1f} ms  {pdf_seconds / qr_seconds:.2f}x baseline"
          f"  ({size} bytes)")

    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "build"
        subprocess.run([sys.executable, "-m", "devtools.package", "--stage", "dev", "--out", str(out)],
                       cwd=PROJECT_DIR, check=True, capture_output=True)
        zip_path = out / "dev" / "deployment.zip"
        sizes = _zip_breakdown(zip_path)
        total = sizes["total"]
        print("deployment zip, compressed bytes:")
        for name in ("reportlab", "PIL+pillow.libs", "charset_normalizer", "glyphs.bin"):
            print(f"  {name:<22} {sizes[name] / 1e6:6.2f} MB  {sizes[name] / total:6.1%} of the zip")
        print(f"  whole zip              {zip_path.stat().st_size / 1e6:6.2f} MB")
        task = Path(work) / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(task)
        probes = {
            "bare": "import chalice, boto3",
            "app": "import app",
            "certificate": "import app; import chalicelib.formats.certificate",
            "first_pdf": "import app; import bench_probe_certificate",
        }
        (task / "bench_probe_certificate.py").write_text(
            "from chalicelib.formats import certificate as c\n"
            "c.render(c.Certificate('张三', [c.DonatedItem('C-0001', '像章', '博物馆', '2026-12-20')], '协会', '交流会',"
            " '2026-12-21'))\n", encoding="utf-8")
        samples: dict[str, list[float]] = {name: [] for name in probes}
        for _ in range(RUNS):
            for name, stmt in probes.items():
                samples[name].append(_import_once(task, stmt))
        medians = {name: statistics.median(values) for name, values in samples.items()}
        bare = medians["bare"]
        print(f"cold start, median of {RUNS} fresh interpreters per line, taking turns:")
        print(f"  bare `import chalice, boto3`        {bare * 1000:7.1f} ms  (baseline)")
        for name, label in (("app", "packaged app (reportlab not loaded)"),
                            ("certificate", "app + reportlab + STSong-Light"),
                            ("first_pdf", "app + first certificate rendered")):
            print(f"  {label:<35} {medians[name] * 1000:7.1f} ms  {medians[name] / bare:.2f}x baseline")
        print(f"  reportlab's share of the certificate route's cold start: "
              f"{(medians['certificate'] - medians['app']) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
