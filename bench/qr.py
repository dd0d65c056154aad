"""Ticket QR rendering cost relative to building the QR matrix: `python -m bench.qr`.

Building the matrix (mode segmentation, Reed-Solomon, mask selection) is the irreducible
cost of a QR code in pure Python; the goal is that writing the PNG adds at most half as much
again, i.e. render_png <= 1.5x the matrix time. Every timing includes the matrix, because
that is what a request pays.
"""
from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable

import qrcode
import qrcode.constants

from chalicelib.formats import qr

TEXT = "http://127.0.0.1:8000/t/DEMO-AWARD-2026.AAGRCBVJBHLIYWJRXKYO2REDNXPXXM3LH22JEDNTJ3HSFYLDV"
RUNS = 50
PNG_GOAL = 1.5


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm imports and caches so the first call's one-off cost isn't counted
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def build_matrix() -> list[list[bool]]:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.BORDER, box_size=qr.PNG_SCALE)
    code.add_data(TEXT, optimize=qr.OPTIMIZE_MIN_CHUNK)
    code.make(fit=True)
    return code.get_matrix()


def pypng_factory() -> Callable[[], bytes] | None:
    try:
        import png  # noqa: F401  (pypng; only needed for the reference line)
        from qrcode.image.pure import PyPNGImage
    except ImportError:
        return None

    def render() -> bytes:
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, border=qr.BORDER,
            box_size=qr.PNG_SCALE, image_factory=PyPNGImage)
        code.add_data(TEXT, optimize=qr.OPTIMIZE_MIN_CHUNK)
        code.make(fit=True)
        out = io.BytesIO()
        code.make_image().save(out)
        return out.getvalue()

    return render


def main() -> None:
    modules = len(build_matrix())
    print(f"QR for a {len(TEXT)}-char ticket URL: {modules}x{modules} modules incl. quiet zone, "
          f"PNG {modules * qr.PNG_SCALE}px; median of {RUNS} runs")
    baseline = median_ms(build_matrix)
    png = median_ms(lambda: qr.render_png(TEXT))
    svg = median_ms(lambda: qr.render_svg(TEXT))
    print(f"  (a) matrix only (baseline)  {baseline:7.2f} ms")
    print(f"  (b) render_png              {png:7.2f} ms  {png / baseline:.2f}x baseline  "
          f"({len(qr.render_png(TEXT))} bytes)")
    print(f"  (c) render_svg              {svg:7.2f} ms  {svg / baseline:.2f}x baseline  "
          f"({len(qr.render_svg(TEXT))} bytes)")
    reference = pypng_factory()
    if reference is not None:
        pypng = median_ms(reference)
        print(f"  (d) qrcode PyPNGImage       {pypng:7.2f} ms  {pypng / baseline:.2f}x baseline  (reference)")
    # The matrix's run-to-run jitter is larger than the encoders themselves, so also time
    # the encoders alone on a fixed matrix to see what they really add.
    matrix = qr.matrix(TEXT)
    png_only = median_ms(lambda: qr._encode_png(matrix, qr.PNG_SCALE), runs=RUNS * 10)
    svg_only = median_ms(lambda: qr._encode_svg(matrix, qr.SVG_SCALE), runs=RUNS * 10)
    print(f"  PNG encoder alone {png_only * 1000:6.0f} us, SVG encoder alone {svg_only * 1000:6.0f} us "
          f"(median of {RUNS * 10})")
    verdict = "met" if png / baseline <= PNG_GOAL else "MISSED"
    print(f"Goal: render_png <= {PNG_GOAL}x the matrix time -> {verdict} ({png / baseline:.2f}x)")


if __name__ == "__main__":
    main()
