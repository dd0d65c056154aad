"""Run every benchmark: `make bench`. Each prints its figures as ratios to a baseline of the same run.

The gate's offline verdict runs in Chromium (`make bench` installs it); the 5,000-row import
is the longest (several minutes against the embedded store), so it runs last."""
from bench import (
    certificate, cold_start, dev_server, export, gate, imports, latency, load, messages, photos, programme, qr, restart,
)

for module in (dev_server, latency, qr, cold_start, certificate, export, restart, load, messages, gate, programme, photos,
               imports):
    module.main()
