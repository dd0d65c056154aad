"""Run every benchmark: `make bench`. Each prints its figures as ratios to a baseline of the same run.

The gate's offline verdict runs in Chromium (`make bench` installs it); the 5,000-row import
is the longest (several minutes against the embedded store), so it runs last. One benchmark
that fails doesn't stop the others: its traceback is printed, and the run exits 1 at the end."""
import sys
import traceback

from bench import (
    certificate, cold_start, dev_server, export, gate, imports, latency, load, messages, photos, programme, qr, restart,
)

failed = []
for module in (dev_server, latency, qr, cold_start, certificate, export, restart, load, messages, gate, programme, photos,
               imports):
    try:
        module.main()
    except Exception:  # noqa: BLE001 - report it and go on with the next benchmark
        traceback.print_exc()
        failed.append(module.__name__)
    sys.stdout.flush()
if failed:
    sys.exit(f"failed: {', '.join(failed)}")
