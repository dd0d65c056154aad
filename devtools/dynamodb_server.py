"""Embedded DynamoDB-compatible server: moto's backend over HTTP, one request at a time.

moto's TransactWriteItems deep-copies whole tables and restores them on cancel without
any locking, so concurrent requests against moto's stock server over-book seats and
crash with 500s. Serialising every request behind one lock makes moto's backend behave
like a linearizable store, which is what our conditional writes rely on.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Callable, Iterable

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

LOCAL_REGION = "us-east-1"


class SerialisedWSGIApp:
    """Runs the wrapped WSGI app under one lock, including the body iteration."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def install_item_level_transaction_rollback() -> None:
    """Make moto's TransactWriteItems cost O(items touched) instead of O(table size).

    moto snapshots every table a transaction touches with copy.deepcopy and puts the copy
    back on cancellation: 30 ms per transaction at 1,000 items, 73 ms at 3,000, all under
    our lock. Since requests are serialised, snapshotting only the items in the transaction
    (at most 100) and writing them back on failure restores exactly the same state.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    if getattr(models.DynamoDBBackend.transact_write_items, "item_level_rollback", False):
        return
    real_copy = models.copy

    class TablesByReference:
        @staticmethod
        def deepcopy(value: Any, *args: Any, **kwargs: Any) -> Any:
            return value if isinstance(value, Table) else real_copy.deepcopy(value, *args, **kwargs)

    models.copy = TablesByReference  # type: ignore[assignment]
    moto_transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for action in transact_items:
            op = next(iter(action.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            if "Key" in op:
                key = op["Key"]
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            current = self.get_item(op["TableName"], key)
            snapshots.append((op["TableName"], key, real_copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        try:
            moto_transact(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(snapshots):
                if attributes is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes, overwrite=True)
            raise

    transact_write_items.item_level_rollback = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class NoDelayRequestHandler(MotoRequestHandler):
    # http.server writes headers and body in separate sends; with Nagle's algorithm and
    # the client's delayed ACK each keep-alive response would stall ~40 ms.
    disable_nagle_algorithm = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class EmbeddedDynamoDB:
    """A moto DynamoDB/S3 server on 127.0.0.1, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        install_item_level_transaction_rollback()
        app = SerialisedWSGIApp(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=NoDelayRequestHandler
        )
        # Idle keep-alive connections must not hold up shutdown.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "EmbeddedDynamoDB":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def spawn() -> tuple[subprocess.Popen[str], str]:
    """Start the embedded server in a child process on a free port; returns it and its endpoint."""
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.dynamodb_server", "--port", "0"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    endpoint = json.loads(process.stdout.readline())["endpoint"]
    return process, endpoint


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DYNAMODB_PORT", "8001")))
    args = parser.parse_args(argv)
    server = EmbeddedDynamoDB(args.host, args.port).start()
    # The parent process reads this line to learn the port when --port 0 is used.
    print(json.dumps({"endpoint": server.endpoint}), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
