"""Keep-alive throughput of the local dev server: stock `chalice local` handler vs ours (TCP_NODELAY).

Prints requests/second for each and the ratio. The route answers without touching DynamoDB,
so the figure is the HTTP server's own.
"""
from __future__ import annotations

import contextlib
import http.client
import io
import time

from chalice.local import LocalDevServer

from app import app
from devtools.local_server import ServerThread, make_server
from devtools.stage import chalice_config

PATH = "/events/NOT_A_SLUG"  # answered 404 by the app without a database read


def requests_per_second(server: LocalDevServer, seconds: float) -> float:
    thread = ServerThread(server).start()
    host, port = server.server.server_address[:2]
    connection = http.client.HTTPConnection(host, port)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        connection.request("GET", PATH)
        response = connection.getresponse()
        response.read()
        assert response.status == 404
        count += 1
    elapsed = time.perf_counter() - started
    connection.close()
    thread.stop()
    return count / elapsed


def main() -> None:
    config = chalice_config("local")
    ours = make_server(app, config)  # also makes the app thread-local, as chalice local does
    stock = LocalDevServer(app, config, "127.0.0.1", 0)
    with contextlib.redirect_stderr(io.StringIO()):  # the stock handler logs every request
        stock_rps = requests_per_second(stock, 3.0)
    ours_rps = requests_per_second(ours, 3.0)
    print(f"dev server keep-alive GET: stock chalice local {stock_rps:8.1f} req/s")
    print(f"dev server keep-alive GET: baoming (NODELAY)   {ours_rps:8.1f} req/s  ({ours_rps / stock_rps:.0f}x)")


if __name__ == "__main__":
    main()
