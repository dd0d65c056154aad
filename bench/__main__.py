"""Run every benchmark: `make bench`."""
from bench import dev_server

for module in (dev_server,):
    module.main()
