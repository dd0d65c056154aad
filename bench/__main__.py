"""Run every benchmark: `make bench`. Each prints its figures as ratios to a baseline of the same run."""
from bench import dev_server, latency, qr

for module in (dev_server, latency, qr):
    module.main()
