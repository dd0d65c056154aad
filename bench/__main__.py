"""Run every benchmark: `make bench`. Each prints its figures as ratios to a baseline of the same run."""
from bench import certificate, cold_start, dev_server, export, latency, load, messages, photos, qr, restart

for module in (dev_server, latency, qr, cold_start, certificate, export, restart, load, messages, photos):
    module.main()
