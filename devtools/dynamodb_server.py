"""Embedded DynamoDB-compatible server: moto's backend over HTTP, one request at a time, durable on disk.

moto's TransactWriteItems deep-copies whole tables and restores them on cancel without
any locking, so concurrent requests against moto's stock server over-book seats and
crash with 500s. Serialising every request behind one lock makes moto's backend behave
like a linearizable store, which is what our conditional writes rely on.

With a data directory (`--data-dir`, `DYNAMODB_DATA_DIR`; `make run` uses `.local/`) every
mutating DynamoDB request the server acknowledges is in an append-only journal on disk,
fdatasynced under the lock (so the journal's order is exactly the requests' order) before
its HTTP response is sent.

- `dynamodb-journal.jsonl`: one line per acknowledged mutation, `<crc32> <json>`, numbered.
  Item writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) are
  journaled as the after-images of the items they touched (the whole item, or its deletion),
  read from moto right after the write; so an UpdateItem that REMOVEs attributes (an erasure)
  replays as an item without them. A failed conditional write is not journaled. Any other
  mutation (CreateTable, UpdateTimeToLive, PartiQL, ...) is journaled as its request and
  replayed through moto in-process.
- `dynamodb-snapshot.json`: every table (the requests that defined it, then its items) as of
  journal record `seq`. Written at clean stop and when the journal passes `compact_bytes`:
  temp file, fsync, rename, fsync the directory, then the journal is truncated. A crash
  between rename and truncation is harmless: records up to `seq` are skipped on replay.

Start-up loads the snapshot straight into moto's tables (no HTTP, no request parsing), then
replays the journal; a torn last line (a crash in the middle of a write that was therefore
never acknowledged) is dropped. Files are owner-only (0600, directory 0700), and a lock file
keeps a second server off the same directory. S3 (exports) is not persisted.

For tests, `--faults` (`BAOMING_DYNAMODB_FAULTS`, `spawn(faults=..., seed=...)`) makes a fraction of
data-plane requests throttled, failed or slow, decided before the request runs (see "fault
injection" below); off unless asked for.
"""
from __future__ import annotations

import argparse
import base64
import errno
import fcntl
import gc
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

# moto is imported where the server is built, not here: `make run` imports this module for
# ManagedServer and the file helpers, and runs the server (and moto) in a child process.

LOCAL_REGION = "us-east-1"
SNAPSHOT_NAME = "dynamodb-snapshot.json"
JOURNAL_NAME = "dynamodb-journal.jsonl"
LOCK_NAME = "dynamodb.lock"
SNAPSHOT_FORMAT = "baoming-dynamodb-snapshot/1"
DEFAULT_COMPACT_BYTES = 8 * 1024 * 1024
DYNAMODB_TARGET = "DynamoDB_20120810"

# DynamoDB actions that never change state; every other DynamoDB action is journaled.
READ_ONLY_ACTIONS = frozenset({
    "BatchGetItem", "DescribeBackup", "DescribeContinuousBackups", "DescribeContributorInsights",
    "DescribeEndpoints", "DescribeExport", "DescribeGlobalTable", "DescribeGlobalTableSettings",
    "DescribeImport", "DescribeKinesisStreamingDestination", "DescribeLimits", "DescribeTable",
    "DescribeTableReplicaAutoScaling", "DescribeTimeToLive", "GetItem", "GetResourcePolicy",
    "ListBackups", "ListContributorInsights", "ListExports", "ListGlobalTables", "ListImports",
    "ListTables", "ListTagsOfResource", "Query", "Scan", "TransactGetItems",
})
# Item writes, journaled as after-images of the items they touch.
ITEM_ACTIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
# Requests that define a table: kept with the table in the snapshot and replayed before its items.
TABLE_ACTIONS = frozenset({
    "CreateTable", "UpdateTable", "DeleteTable", "UpdateTimeToLive", "TagResource", "UntagResource",
    "UpdateContinuousBackups", "UpdateContributorInsights", "EnableKinesisStreamingDestination",
    "DisableKinesisStreamingDestination", "UpdateKinesisStreamingDestination", "PutResourcePolicy",
    "DeleteResourcePolicy", "UpdateTableReplicaAutoScaling",
})


class PortInUse(Exception):
    def __init__(self, host: str, port: int, variable: str):
        self.port, self.variable = port, variable
        super().__init__(
            f"port {port} on {host} is already in use (another program, or another `make run`).\n"
            + (f"Set {variable} to a free port, e.g. `{variable}={port + 10} make run`, or stop what is using it."
               if not variable.startswith("-") else f"Start it with another {variable}, or stop what is using it.")
        )


class DataDirInUse(Exception):
    def __init__(self, data_dir: Path, holder: str):
        super().__init__(
            f"{data_dir} is already used by another embedded DynamoDB server ({holder or 'unknown process'}).\n"
            "Stop it, or give this one its own directory (BAOMING_STATE_DIR for `make run`)."
        )


class CorruptJournal(Exception):
    pass


# --- owner-only files ---------------------------------------------------------------------------

def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed, and make it 0700 even if it existed with wider modes."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def restrict_file(path: Path) -> None:
    """0600 for an existing file (no-op when it doesn't exist)."""
    try:
        os.chmod(path, 0o600)
    except FileNotFoundError:
        pass


_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, owner-only and on disk (temp file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextmanager
def _no_gc(freeze: bool = False) -> Iterator[None]:
    """Loading or dumping ~10^6 small objects triggers a full collection over the whole store
    every few thousand allocations; none of them form cycles, so collect nothing meanwhile.
    With `freeze`, what survives (the restored items, which live as long as the server) goes to
    the permanent generation before collections resume, so they never walk it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


# --- the lock and moto patches ------------------------------------------------------------------

class SerialisedWSGIApp:
    """Runs the wrapped WSGI app under one lock, including the body iteration.

    With a store, its journal hook is active for the request (and only for requests through
    this app): a write's journal record is written and fdatasynced under the lock, before the
    response leaves, so the journal's order is exactly the order of the requests.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], lock: threading.Lock | None = None,
                 store: DurableStore | None = None):
        self._app = app
        self._lock = lock or threading.Lock()
        self._store = store

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if self._store is not None and self._store.failed is not None:
                return _internal_error(start_response, self._store.failed)
            _journaling.store = self._store
            try:
                result = self._app(environ, start_response)
                try:
                    return list(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            finally:
                _journaling.store = None


def _internal_error(start_response: Callable[..., Any], reason: str) -> list[bytes]:
    body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                       "message": f"embedded DynamoDB journal unavailable: {reason}"}).encode()
    start_response("500 Internal Server Error", [("Content-Type", "application/x-amz-json-1.0"),
                                                 ("Content-Length", str(len(body)))])
    return [body]


_journaling = threading.local()


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
            attributes = real_copy.deepcopy(current.to_json()["Attributes"]) if current else None
            snapshots.append((op["TableName"], key, attributes))
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


def install_partition_scoped_query() -> None:
    """Make moto's Query read one partition instead of the whole table.

    moto's Table.query walks `all_items()` (every item of the table) and keeps those of the
    queried partition: each gate-data query paid for every other event's items. When the key
    condition names the table's partition key (the table itself, or an index whose partition
    key is the table's: gsi2), only that partition can match, so the walk is narrowed to it.
    Results, order and paging are moto's own.
    """
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "partition_scoped", False):
        return
    moto_query = Table.query

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        value = hash_key
        if index_name:
            index = next((i for i in self.all_indexes() if i.name == index_name), None)
            hashes = [k["AttributeName"] for k in (index.schema if index else []) if k["KeyType"] == "HASH"]
            conditions = dict(kwargs.get("hash_key_conditions") or [])
            value = conditions.get(self.hash_key_attr) if hashes == [self.hash_key_attr] else None
        if value is None or not self.range_key_attr:
            return moto_query(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(value, {}).values())
        self.all_items = lambda: partition
        try:
            return moto_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.partition_scoped = True  # type: ignore[attr-defined]
    Table.query = query


def install_journal_hook() -> None:
    """After moto has handled a DynamoDB request, hand it to the active store (if any) to journal."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "journal_hook", False):
        return
    moto_call_action = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        result = moto_call_action(self)
        store = getattr(_journaling, "store", None)
        if store is not None:
            try:
                store.journal_request(self, result)
            except Exception as error:  # the write happened in memory but is not on disk: refuse it
                store.fail(error)
                body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                   "message": f"embedded DynamoDB journal unavailable: {store.failed}"})
                return 500, {"status": "500", "Content-Type": "application/x-amz-json-1.0"}, body
        return result

    call_action.journal_hook = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# --- items <-> JSON -------------------------------------------------------------------------------
#
# Items are stored in a compact form of DynamoDB JSON: a string attribute is a bare JSON string,
# every other value is {TYPE: value} as in DynamoDB JSON, with binary (B, BS) as base64. It parses
# in half the time of DynamoDB JSON. moto's own Item.to_json deep-copies every value and its
# DynamoType() re-inspects every dict: seconds for 30,000 items. These convert directly.

def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _b64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, (bytes, bytearray)) else value.encode()).decode("ascii")


def _encode(value: Any) -> Any:
    """A moto DynamoType in the compact form."""
    kind = value.type
    if kind == "S":
        return value.value
    if kind == "M":
        return {"M": {k: _encode(v) for k, v in value.value.items()}}
    if kind == "L":
        return {"L": [_encode(v) for v in value.value]}
    if kind == "B":
        return {"B": _b64(value.value)}
    if kind == "BS":
        return {"BS": [_b64(v) for v in value.value]}
    return {kind: value.value}


def _encode_item(item: Any) -> dict[str, Any]:
    return {name: _encode(value) for name, value in item.attrs.items()}


def _encode_request_value(attribute: dict[str, Any]) -> Any:
    """An attribute value as moto's parsed request holds it ({"S": "x"}, binary as bytes), compacted."""
    (kind, value), = attribute.items()
    if kind == "S":
        return value
    if kind == "M":
        return {"M": {k: _encode_request_value(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_encode_request_value(v) for v in value]}
    if kind == "B":
        return {"B": _b64(value)}
    if kind == "BS":
        return {"BS": [_b64(v) for v in value]}
    return {kind: value}


def _decode_request_value(value: Any) -> dict[str, Any]:
    """The compact form back to a request-style attribute value (binary as bytes)."""
    if value.__class__ is str:
        return {"S": value}
    (kind, inner), = value.items()
    if kind == "M":
        return {"M": {k: _decode_request_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_decode_request_value(v) for v in inner]}
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    return {kind: inner}


def _dynamo_type_decoder() -> Callable[[Any], Any]:
    """The compact form to a moto DynamoType, built directly (a third of the constructor's cost)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    new = object.__new__

    def fast(value: Any) -> Any:
        result = new(DynamoType)
        if value.__class__ is str:
            result.type, result.value = "S", value
            return result
        (kind, inner), = value.items()
        if kind == "M":
            inner = {k: fast(v) for k, v in inner.items()}
        elif kind == "L":
            inner = [fast(v) for v in inner]
        elif kind == "B":
            inner = base64.b64decode(inner)
        elif kind == "BS":
            inner = [base64.b64decode(v) for v in inner]
        result.type, result.value = kind, inner
        return result

    def by_constructor(value: Any) -> Any:
        return DynamoType(_decode_request_value(value))

    # Only while a DynamoType is just (type, value), as in moto 5; else through its constructor.
    probe = {"M": {"a": {"L": [{"N": "1"}, "s"]}, "b": {"SS": ["x"]}, "c": {"B": "eg=="}}}
    if vars(by_constructor(probe)).keys() == vars(fast(probe)).keys() == {"type", "value"} and \
            by_constructor(probe) == fast(probe):
        return fast
    return by_constructor


def _table_name(name: str) -> str:
    # TableName may be given as an ARN: arn:aws:dynamodb:region:account:table/NAME
    return name.split(":table/", 1)[1].split("/", 1)[0] if name.startswith("arn:") else name


def _item_key(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    key = {table.hash_key_attr: item[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item[table.range_key_attr]
    return key


Touched = list[tuple[str, "dict[str, Any] | None", "dict[str, Any] | None"]]


def _touched_keys(action: str, params: dict[str, Any]) -> Touched:
    """(table, key, item) for every item an item write names: key for updates/deletes, item for puts."""
    if action == "PutItem":
        return [(params["TableName"], None, params["Item"])]
    if action in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"], None)]
    touched: Touched = []
    if action == "BatchWriteItem":
        for table_name, requests in (params.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    touched.append((table_name, None, request["PutRequest"]["Item"]))
                elif "DeleteRequest" in request:
                    touched.append((table_name, request["DeleteRequest"]["Key"], None))
    elif action == "TransactWriteItems":
        for entry in params.get("TransactItems") or []:
            if "Put" in entry:
                touched.append((entry["Put"]["TableName"], None, entry["Put"]["Item"]))
            for kind in ("Update", "Delete"):
                if kind in entry:
                    touched.append((entry[kind]["TableName"], entry[kind]["Key"], None))
    return touched


# --- the durable store ----------------------------------------------------------------------------

@dataclass
class RestoreStats:
    tables: int = 0
    snapshot_items: int = 0
    journal_records: int = 0
    skipped_records: int = 0
    torn_tail_bytes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class DurableStore:
    """The journal and snapshot of one data directory, applied to moto's (process-wide) backends.

    Every method that touches moto or the journal runs under the server's lock: open() before
    the server serves, journal_request() from inside a request, compact() and close() take it.
    """

    def __init__(self, data_dir: Path | str, app: Callable[..., Iterable[bytes]], lock: threading.Lock,
                 compact_bytes: int = DEFAULT_COMPACT_BYTES, endpoint: str = ""):
        self.data_dir = ensure_private_dir(Path(data_dir).resolve())
        self.snapshot_path = self.data_dir / SNAPSHOT_NAME
        self.journal_path = self.data_dir / JOURNAL_NAME
        self._app = app  # the unlocked moto app, for replaying requests in-process
        self._lock = lock
        self.compact_bytes = compact_bytes
        self.failed: str | None = None
        self.seq = 0  # number of the last journal record applied
        self._journal_fd: int | None = None
        self._journal_size = 0
        self._compact_at = compact_bytes
        # (account, region, table) -> the requests that defined the table, in order
        self._tables: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        self._decode = _dynamo_type_decoder()
        self._lock_fd: int | None = self._acquire_directory(endpoint)

    # -- opening --

    def _acquire_directory(self, endpoint: str) -> int:
        path = self.data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DataDirInUse(self.data_dir, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} {endpoint}".strip().encode(), 0)
        return fd

    def open(self) -> RestoreStats:
        """Load the snapshot and replay the journal into moto, then open the journal for appending."""
        started = time.perf_counter()
        stats = RestoreStats()
        for path in (self.snapshot_path, self.journal_path):
            restrict_file(path)
        stale = self.snapshot_path.with_name(self.snapshot_path.name + ".tmp")
        if stale.exists():
            stale.unlink()  # a compaction that crashed before its rename: the journal still has it all
        with _no_gc(freeze=True):
            if self.snapshot_path.exists():
                self._load_snapshot(stats)
            self._replay_journal(stats)
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        self._journal_fd = fd
        self._journal_size = os.fstat(fd).st_size
        stats.tables = len(self._tables)
        stats.seconds = time.perf_counter() - started
        return stats

    def _load_snapshot(self, stats: RestoreStats) -> None:
        try:
            snapshot = json.loads(self.snapshot_path.read_bytes())
        except ValueError as error:  # written by rename, so never torn: damaged afterwards
            raise CorruptJournal(f"{self.snapshot_path} is damaged ({error})") from None
        if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise CorruptJournal(f"{self.snapshot_path} is not a {SNAPSHOT_FORMAT} file")
        for table in snapshot["tables"]:
            account, region, name = table["account"], table["region"], table["name"]
            for request in table["definition"]:
                self._replay_request(account, region, request["action"], request["body"])
            self._put_all(self._backend(account, region).tables[name], table["items"])
            stats.snapshot_items += len(table["items"])
        self.seq = snapshot["seq"]

    def _replay_journal(self, stats: RestoreStats) -> None:
        if not self.journal_path.exists():
            return
        data = self.journal_path.read_bytes()
        offset = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            record = self._parse_line(data[offset:end]) if end >= 0 else None
            if record is None:
                rest = data[offset:] if end < 0 else data[end + 1:]
                if end >= 0 and rest.strip(b"\x00\n\r\t "):
                    raise CorruptJournal(
                        f"{self.journal_path}: damaged record at byte {offset}, followed by more records; "
                        "move the file aside to start from the snapshot alone")
                # A torn last line: the crash interrupted its write, so it was never acknowledged.
                stats.torn_tail_bytes = len(data) - offset
                with open(self.journal_path, "r+b") as journal:
                    journal.truncate(offset)
                    os.fsync(journal.fileno())
                break
            offset = end + 1
            if record["n"] <= self.seq:
                stats.skipped_records += 1  # already in the snapshot (a crash before truncation)
                continue
            self._apply(record)
            self.seq = record["n"]
            stats.journal_records += 1

    @staticmethod
    def _parse_line(line: bytes) -> dict[str, Any] | None:
        if len(line) < 10 or line[8:9] != b" ":
            return None
        payload = line[9:]
        try:
            if int(line[:8], 16) != zlib.crc32(payload):
                return None
            record = json.loads(payload)
        except ValueError:
            return None
        return record if isinstance(record, dict) and isinstance(record.get("n"), int) else None

    # -- applying records --

    @staticmethod
    def _backend(account: str, region: str) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[account][region]

    def _put(self, table: Any, attributes: dict[str, Any]) -> None:
        """Store an item as moto's PutItem does, minus validation and its O(attributes^2) size
        check: the item was validated when it was first written."""
        from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

        decode = self._decode
        values = {name: decode(value) for name, value in attributes.items()}
        hash_key = values[table.hash_key_attr]
        range_key = values[table.range_key_attr] if table.range_key_attr else None
        item = Item(hash_key, range_key, {})
        item.attrs = LimitedSizeDict(values)
        if range_key is not None:
            table.items[hash_key][range_key] = item
        else:
            table.items[hash_key] = item

    def _put_all(self, table: Any, items: list[dict[str, Any]]) -> None:
        """_put for a snapshot's items, which come partition by partition: each partition is
        looked up (hashing moto's DynamoType keys is slow) once, not once per item."""
        from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

        decode, hash_attr, range_attr = self._decode, table.hash_key_attr, table.range_key_attr
        if not range_attr:
            for attributes in items:
                self._put(table, attributes)
            return
        probe = Item(decode("h"), decode("r"), {})
        plain_item = vars(probe).keys() == {"hash_key", "range_key", "attrs"}  # as in moto 5
        new = object.__new__
        partitions, current, partition = table.items, None, None
        for attributes in items:
            values = {name: decode(value) for name, value in attributes.items()}
            if attributes[hash_attr] != current:
                current = attributes[hash_attr]
                partition = partitions[values[hash_attr]]
            range_key = values[range_attr]
            if plain_item:
                item = new(Item)
                item.hash_key, item.range_key = values[hash_attr], range_key
            else:
                item = Item(values[hash_attr], range_key, {})
            item.attrs = LimitedSizeDict(values)
            partition[range_key] = item  # type: ignore[index]

    def _delete(self, table: Any, key: dict[str, Any]) -> None:
        hash_key = self._decode(key[table.hash_key_attr])
        if table.range_key_attr:
            partition = table.items.get(hash_key)
            if partition is not None:
                partition.pop(self._decode(key[table.range_key_attr]), None)
                if not partition:
                    del table.items[hash_key]
        else:
            table.items.pop(hash_key, None)

    def _apply(self, record: dict[str, Any]) -> None:
        account, region = record["a"], record["r"]
        if "action" in record:
            self._replay_request(account, region, record["action"], record["body"])
            return
        tables = self._backend(account, region).tables
        for table_name, attributes in record.get("put", ()):
            table = tables.get(table_name)
            if table is not None:
                self._put(table, attributes)
        for table_name, key in record.get("del", ()):
            table = tables.get(table_name)
            if table is not None:
                self._delete(table, key)

    def _replay_request(self, account: str, region: str, action: str, body: str) -> None:
        """Run a journaled request through moto in-process: no socket, no journaling."""
        from werkzeug.test import EnvironBuilder

        environ = EnvironBuilder(method="POST", path="/", base_url="http://127.0.0.1/", data=body.encode(), headers={
            "X-Amz-Target": f"{DYNAMODB_TARGET}.{action}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": (f"AWS4-HMAC-SHA256 Credential=replay/20000101/{region}/dynamodb/aws4_request, "
                              "SignedHeaders=host, Signature=0"),
            "x-moto-account-id": account,
        }).get_environ()
        status: list[str] = []
        result = self._app(environ, lambda code, headers, exc_info=None: status.append(code))
        try:
            response = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not status or not status[0].startswith("200"):
            print(f"embedded DynamoDB: replaying {action} failed ({status[:1]}): {response[:300]!r}", file=sys.stderr)
            return
        self._track_table(account, region, action, body)

    def _track_table(self, account: str, region: str, action: str, body: str) -> None:
        if action not in TABLE_ACTIONS:
            return
        params = json.loads(body)
        key = (account, region, _table_name(params.get("TableName") or params.get("ResourceArn") or ""))
        if action == "CreateTable":
            self._tables[key] = [{"action": action, "body": body}]
        elif action == "DeleteTable":
            self._tables.pop(key, None)
        elif key in self._tables:
            self._tables[key].append({"action": action, "body": body})

    # -- journaling (under the server's lock, from inside the request) --

    def fail(self, error: BaseException) -> None:
        self.failed = f"{type(error).__name__}: {error}"
        print(f"embedded DynamoDB: cannot write {self.journal_path} ({self.failed}); refusing every request "
              "from now on. Restart to recover everything acknowledged so far.", file=sys.stderr, flush=True)

    def journal_request(self, handler: Any, result: Any) -> None:
        """Called after moto handled a DynamoDB request, before its response is sent."""
        action = handler._get_action()
        if action in READ_ONLY_ACTIONS:
            return
        ok = int(result[0]) == 200
        account, region = handler.current_account, handler.region
        record: dict[str, Any] | None = None
        if action in ITEM_ACTIONS and (ok or action == "BatchWriteItem"):  # a batch may be partly applied
            record = self._after_images(handler.dynamodb_backend, action, handler.body)
            if record is not None and not record["put"] and not record["del"]:
                return
        if record is None:
            if not ok:
                return  # a refused request changed nothing
            raw = handler.raw_body
            body = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else str(raw)
            record = {"action": action, "body": body}
            self._track_table(account, region, action, body)
        self._append({"a": account, "r": region, **record})
        if self._journal_size > self._compact_at:
            try:
                self._compact_locked()
            except OSError as error:  # the journal still has everything: carry on, try again later
                self._compact_at = self._journal_size + self.compact_bytes
                print(f"embedded DynamoDB: could not compact into {self.snapshot_path} ({error}); "
                      "the journal keeps growing meanwhile", file=sys.stderr, flush=True)

    def _after_images(self, backend: Any, action: str, params: Any) -> dict[str, Any] | None:
        """{"put": [[table, item]], "del": [[table, key]]}: the touched items as they are now,
        or None when the request's keys can't be worked out (then it is journaled as a request)."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        if not isinstance(params, dict):
            return None
        puts: list[list[Any]] = []
        deletes: list[list[Any]] = []
        try:
            for table_name, key, item in _touched_keys(action, params):
                table = backend.tables.get(_table_name(table_name))
                if table is None:
                    continue
                key = key if key is not None else _item_key(table, item or {})
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                stored = table.get_item(hash_key, range_key)
                if stored is None:
                    deletes.append([table.name, {k: _encode_request_value(v) for k, v in key.items()}])
                else:
                    puts.append([table.name, _encode_item(stored)])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return {"put": puts, "del": deletes}

    def _append(self, record: dict[str, Any]) -> None:
        if self._journal_fd is None:
            raise OSError(errno.EBADF, "the journal is closed")
        payload = _dumps({"n": self.seq + 1, **record}).encode("utf-8")
        line = b"%08x " % zlib.crc32(payload) + payload + b"\n"
        view = memoryview(line)
        while view:
            view = view[os.write(self._journal_fd, view):]
        _datasync(self._journal_fd)  # under the server's lock, before the response
        self.seq += 1
        self._journal_size += len(line)

    # -- compaction --

    def compact(self) -> int:
        with self._lock:
            return self._compact_locked()

    def _compact_locked(self) -> int:
        """Snapshot every table as of record `seq` (temp file, fsync, rename), then empty the
        journal. Returns the number of items saved."""
        with _no_gc():
            tables, count = [], 0
            for (account, region, name), definition in sorted(self._tables.items()):
                table = self._backend(account, region).tables.get(name)
                if table is None:
                    continue
                items = [_encode_item(item) for item in self._all_items(table)]
                count += len(items)
                tables.append({"account": account, "region": region, "name": name,
                               "definition": definition, "items": items})
            text = _dumps({"format": SNAPSHOT_FORMAT, "seq": self.seq, "tables": tables})
            del tables
            write_private_file(self.snapshot_path, text.encode("utf-8"))
        if os.environ.get("BAOMING_DYNAMODB_FAULT") == "crash-before-journal-truncate":
            os._exit(137)  # fault injection for tests/integration/test_durability.py
        if self._journal_fd is not None:
            os.ftruncate(self._journal_fd, 0)
            os.fsync(self._journal_fd)
        self._journal_size = 0
        self._compact_at = self.compact_bytes
        return count

    @staticmethod
    def _all_items(table: Any) -> Iterator[Any]:
        for partition in table.items.values():
            if table.range_key_attr:
                yield from partition.values()
            else:
                yield partition

    def close(self, compact: bool = True) -> int | None:
        """Compact (unless told not to, or the journal failed) and release the directory.
        Returns the number of items saved, or None."""
        count = None
        with self._lock:
            if compact and self.failed is None and self._journal_fd is not None:
                count = self._compact_locked()
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = None
        return count


# --- fault injection (tests; off unless asked for) ----------------------------------------------
#
# `--faults SPEC` / `BAOMING_DYNAMODB_FAULTS=SPEC` / `spawn(faults=SPEC, seed=N)` make a fraction of
# DynamoDB data-plane requests fail the way DynamoDB fails under load, so the app's answer to a
# throttled or failing store (503 + Retry-After, never a 500) can be tested end to end:
#
#   throttle=P   ThrottlingException or ProvisionedThroughputExceededException (HTTP 400)
#   error=P      InternalServerError (HTTP 500)
#   slow=P       a delay of `slow_seconds` (default 0.5-1.5 s), then the request runs normally
#   slow_seconds=A-B, after=N (leave the first N data-plane requests alone), seed=N,
#   actions=GetItem+Query+... (default: every data-plane action, FAULT_ACTIONS)
#
# e.g. "throttle=0.05,error=0.03,slow=0.02,seed=7". Every fault is decided and answered *before*
# the request reaches moto: an injected error changed nothing (so nothing is journaled), exactly
# like a throttled or failed request at DynamoDB's front end, which the caller may retry.
# Faults are never injected *after* a request ran: that would be a lost acknowledgement (the
# write applied, the client told it failed). botocore's retry of a TransactWriteItems would then
# carry the same ClientRequestToken (botocore fills it in once per call), which real DynamoDB
# answers as the first, idempotent success for 10 minutes, but moto ignores it and would refuse
# the retry as a conflicting duplicate: such a test would find moto's gap, not the app's.
# (A plain PutItem/UpdateItem has no such token in DynamoDB either; that case is not modelled.)
# Table-level requests (CreateTable, DescribeTable, UpdateTimeToLive, ...) and S3 are never
# faulted, so setting up a table against a faulty server needs no special care.
#
# Delays are slept *outside* the global lock: a slow answer at DynamoDB's front end does not stall
# every other client, and holding the lock for 1.5 s would turn one slow request into a store-wide
# stall that pushes every concurrent request towards its read timeout (a different fault). Errors
# are answered without the lock too (they never touch moto). Decisions come from one seeded
# random.Random under a small lock of their own, one draw per eligible request in arrival order:
# with a seed, the n-th eligible request always gets the same fate (which request is n-th depends
# on the clients' scheduling).
#
# `GET /_baoming/faults` answers the injector's settings and counts; `POST /_baoming/faults` with
# {"enabled": bool, "spec": "...", "seed": N, "reset": true} (any subset) changes them, e.g. to
# switch faults off before a test reads its results (see `fault_control`).

FAULT_ACTIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems",
})
FAULTS_PATH = "/_baoming/faults"
FAULTS_ENV = "BAOMING_DYNAMODB_FAULTS"
_FAULT_ERRORS = {
    "ThrottlingException": (400, "Rate of requests exceeds the allowed throughput."),
    "ProvisionedThroughputExceededException": (
        400, "The level of configured provisioned throughput for the table was exceeded. "
             "Consider increasing your provisioning level with the UpdateTable API."),
    "InternalServerError": (500, "Internal server error"),
}


@dataclass(frozen=True)
class FaultSpec:
    throttle: float = 0.0
    error: float = 0.0
    slow: float = 0.0
    slow_seconds: tuple[float, float] = (0.5, 1.5)
    after: int = 0
    seed: int | None = None
    actions: frozenset[str] = FAULT_ACTIONS

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """`throttle=0.05,error=0.03,slow=0.02[,slow_seconds=0.5-1.5][,after=N][,seed=N][,actions=A+B]`."""
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, equals, value = part.partition("=")
            name, value = name.strip(), value.strip()
            if not equals:
                raise ValueError(f"fault spec: {part!r} is not name=value")
            if name in ("throttle", "error", "slow"):
                probability = float(value)
                if not 0 <= probability <= 1:
                    raise ValueError(f"fault spec: {name} must be a probability between 0 and 1")
                values[name] = probability
            elif name == "slow_seconds":
                low, _, high = value.partition("-")
                bounds = (float(low), float(high or low))
                if not 0 <= bounds[0] <= bounds[1]:
                    raise ValueError("fault spec: slow_seconds must be A-B with 0 <= A <= B")
                values[name] = bounds
            elif name in ("after", "seed"):
                values[name] = int(value)
            elif name == "actions":
                actions = frozenset(filter(None, value.replace("|", "+").split("+")))
                unknown = actions - FAULT_ACTIONS
                if unknown:
                    raise ValueError(f"fault spec: {sorted(unknown)} are not data-plane actions "
                                     f"({', '.join(sorted(FAULT_ACTIONS))})")
                values[name] = actions
            else:
                raise ValueError(f"fault spec: unknown setting {name!r} "
                                 "(throttle, error, slow, slow_seconds, after, seed, actions)")
        spec = cls(**values)
        if spec.throttle + spec.error + spec.slow > 1:
            raise ValueError("fault spec: throttle + error + slow must not exceed 1")
        return spec

    def describe(self) -> str:
        parts = [f"throttle={self.throttle:g}", f"error={self.error:g}", f"slow={self.slow:g}",
                 f"slow_seconds={self.slow_seconds[0]:g}-{self.slow_seconds[1]:g}"]
        if self.after:
            parts.append(f"after={self.after}")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        if self.actions != FAULT_ACTIONS:
            parts.append("actions=" + "+".join(sorted(self.actions)))
        return ",".join(parts)


@dataclass(frozen=True)
class Fault:
    kind: str  # "throttle", "error" or "slow"
    error_code: str | None = None
    delay: float = 0.0


class FaultInjector:
    """Decides, request by request, whether a data-plane request fails, and counts what it did."""

    def __init__(self, spec: FaultSpec, enabled: bool = True):
        self._lock = threading.Lock()
        self.enabled = enabled
        self._configure(spec)

    def _configure(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._random = random.Random(spec.seed)
        self.seen = 0  # data-plane requests that could have been faulted (while enabled)
        self.injected: dict[str, int] = {}  # by error code, and "slow"
        self.by_action: dict[str, dict[str, int]] = {}

    def decide(self, action: str) -> Fault | None:
        with self._lock:
            spec = self.spec
            if not self.enabled or action not in spec.actions:
                return None
            self.seen += 1
            if self.seen <= spec.after:
                return None
            roll, pick = self._random.random(), self._random.random()  # two draws per request, always
            if roll < spec.throttle:
                code = "ThrottlingException" if pick < 0.5 else "ProvisionedThroughputExceededException"
                fault = Fault("throttle", code)
            elif roll < spec.throttle + spec.error:
                fault = Fault("error", "InternalServerError")
            elif roll < spec.throttle + spec.error + spec.slow:
                low, high = spec.slow_seconds
                fault = Fault("slow", delay=low + pick * (high - low))
            else:
                return None
            name = fault.error_code or "slow"
            self.injected[name] = self.injected.get(name, 0) + 1
            per_action = self.by_action.setdefault(action, {})
            per_action[name] = per_action.get(name, 0) + 1
            return fault

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"enabled": self.enabled, "spec": self.spec.describe(), "seen": self.seen,
                    "injected": dict(self.injected), "by_action": {a: dict(c) for a, c in self.by_action.items()}}

    def control(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply {"spec", "seed", "reset", "enabled"} (any subset); a new spec or seed also resets the counts."""
        with self._lock:
            spec = self.spec
            if "spec" in changes:
                spec = FaultSpec.parse(str(changes["spec"]))
            if "seed" in changes:
                spec = FaultSpec(**{**vars(spec), "seed": None if changes["seed"] is None else int(changes["seed"])})
            if spec is not self.spec or changes.get("reset"):
                self._configure(spec)
            if "enabled" in changes:
                self.enabled = bool(changes["enabled"])
        return self.state()


class FaultInjectingApp:
    """In front of the serialised app (so never under its lock): answers the control endpoint,
    and fails or delays the data-plane requests its injector picks before they reach moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]], injector: FaultInjector):
        self._app = app
        self.injector = injector

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return self._control(environ, start_response)
        prefix, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        fault = self.injector.decide(action) if prefix == DYNAMODB_TARGET else None
        if fault is not None:
            if fault.error_code is None:
                time.sleep(fault.delay)  # then run it normally (outside the lock while sleeping)
            else:
                _read_body(environ)  # the connection is kept alive: the request body must not be left unread
                return _dynamodb_error(start_response, fault.error_code)
        return self._app(environ, start_response)

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "POST":
                changes = json.loads(_read_body(environ) or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object")
                state = self.injector.control(changes)
            elif method in ("GET", "HEAD"):
                state = self.injector.state()
            else:
                return _plain_json(start_response, "405 Method Not Allowed", {"message": "GET or POST"})
        except (ValueError, TypeError) as error:
            return _plain_json(start_response, "400 Bad Request", {"message": str(error)})
        return _plain_json(start_response, "200 OK", state)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _plain_json(start_response: Callable[..., Any], status: str, value: Any) -> list[bytes]:
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _dynamodb_error(start_response: Callable[..., Any], code: str) -> list[bytes]:
    """The error as DynamoDB sends it: `__type` in the JSON body (what botocore reads), the same
    code in `x-amzn-ErrorType`, a request id and the body's CRC32."""
    status, message = _FAULT_ERRORS[code]
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
    reason = "Bad Request" if status == 400 else "Internal Server Error"
    start_response(f"{status} {reason}", [
        ("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body))),
        ("x-amzn-ErrorType", code), ("x-amzn-RequestId", uuid.uuid4().hex.upper()),
        ("x-amz-crc32", str(zlib.crc32(body))),
    ])
    return [body]


def fault_control(endpoint: str, **changes: Any) -> dict[str, Any]:
    """Read (no arguments) or change (enabled=, spec=, seed=, reset=) a faulty server's injector."""
    import urllib.request

    data = json.dumps(changes).encode() if changes else None
    request = urllib.request.Request(endpoint.rstrip("/") + FAULTS_PATH, data=data, method="POST" if changes else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


# --- the server -----------------------------------------------------------------------------------

def _request_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class NoDelayRequestHandler(MotoRequestHandler):
        # http.server writes headers and body in separate sends; with Nagle's algorithm and
        # the client's delayed ACK each keep-alive response would stall ~40 ms.
        disable_nagle_algorithm = True

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return NoDelayRequestHandler


def _listening_socket(host: str, port: int, variable: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(host, port, variable) from None
        raise
    return sock


class EmbeddedDynamoDB:
    """A moto DynamoDB/S3 server on 127.0.0.1, in a background thread.

    With `data_dir`, DynamoDB state is restored from it by start() and every acknowledged
    write is journaled there; stop() compacts it into the snapshot. Without, nothing is kept.
    With `faults` (a FaultSpec or its text), some data-plane requests fail or are slow (see
    "fault injection" above); `self.faults` is then the injector, else None.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, data_dir: Path | str | None = None,
                 compact_bytes: int = DEFAULT_COMPACT_BYTES, port_variable: str = "DYNAMODB_PORT",
                 faults: FaultSpec | str | None = None):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        install_item_level_transaction_rollback()
        install_partition_scoped_query()
        install_journal_hook()
        moto_app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()
        sock = _listening_socket(host, port, port_variable)
        endpoint = "http://{}:{}".format(*sock.getsockname()[:2])
        try:
            self.store = DurableStore(data_dir, moto_app, lock, compact_bytes, endpoint) if data_dir else None
            app: Callable[..., Iterable[bytes]] = SerialisedWSGIApp(moto_app, lock, self.store)
            self.faults: FaultInjector | None = None
            if faults is not None:
                self.faults = FaultInjector(FaultSpec.parse(faults) if isinstance(faults, str) else faults)
                app = FaultInjectingApp(app, self.faults)
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=_request_handler(), fd=sock.fileno()
            )
        finally:
            sock.close()  # the server holds its own duplicate of the socket
        # Idle keep-alive connections must not hold up shutdown.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        # A short poll interval: stop() (and so Ctrl-C) waits for the loop to notice.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self.restored: RestoreStats | None = None
        self.stopped = False

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> EmbeddedDynamoDB:
        """Restore the data directory (if any), then serve. Connections made meanwhile wait."""
        if self.store is not None:
            try:
                self.restored = self.store.open()
            except BaseException:
                self._server.server_close()
                self.store.close(compact=False)
                self.stopped = True
                raise
        self._thread.start()
        return self

    def stop(self, compact: bool = True) -> int | None:
        """Stop serving; with a data directory, compact it. Returns the items saved (or None)."""
        self.stopped = True
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        if self.store is not None:
            return self.store.close(compact=compact)
        return None


PROJECT_DIR = Path(__file__).resolve().parent.parent


def _command(port: int, data_dir: Path | str | None, *extra_args: str) -> list[str]:
    args = [sys.executable, "-m", "devtools.dynamodb_server", "--port", str(port)]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    return args + list(extra_args)


def spawn(data_dir: Path | str | None = None, *extra_args: str,
          env: dict[str, str] | None = None, faults: str | None = None,
          seed: int | None = None) -> tuple[subprocess.Popen[str], str]:
    """Start the embedded server in a child process on a free port; returns it and its endpoint.

    Without `data_dir` (the tests' throwaway server) nothing is persisted. With `faults` (a
    fault spec such as "throttle=0.05,error=0.03,slow=0.02"; `seed` makes it repeatable), some
    data-plane requests fail or are slow; `fault_control(endpoint, ...)` switches them."""
    if faults is not None:
        extra_args += ("--faults", faults)
    if seed is not None:
        extra_args += ("--fault-seed", str(seed))
    process = subprocess.Popen(_command(0, data_dir, *extra_args), cwd=PROJECT_DIR, stdout=subprocess.PIPE,
                               text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"the embedded DynamoDB server exited with code {process.wait()}")
    return process, json.loads(line)["endpoint"]


class ServerFailed(Exception):
    pass


class ManagedServer:
    """The durable server as a child process of `make run`.

    Started first, it imports moto and restores its data directory on the other CPU while
    `make run` imports the app; its GIL is its own while serving. It stops cleanly (compacting)
    on SIGTERM or when its stdin closes, so it also stops when `make run` is killed with -9;
    Ctrl-C and a closed terminal (SIGINT, SIGHUP) are left to `make run`, which then stops it.
    """

    def __init__(self, port: int, data_dir: Path | str, port_variable: str = "DYNAMODB_PORT"):
        self.process = subprocess.Popen(
            _command(port, data_dir, "--managed", "--port-variable", port_variable),
            cwd=PROJECT_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._saved: int | None = None

    def wait_ready(self) -> dict[str, Any]:
        """The ready line ({"endpoint", "restored"}); ServerFailed if it exited (it said why on stderr)."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise ServerFailed(f"the embedded DynamoDB server exited with code {self.process.wait()}")
        return dict(json.loads(line))

    def stop(self) -> int | None:
        """Stop it (it compacts its journal into the snapshot); returns the items saved, if it said."""
        if self.process.returncode is not None:
            return self._saved
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=300)
        for line in reversed((output or "").splitlines()):
            if line.startswith('{"saved"'):
                saved = json.loads(line)["saved"]
                self._saved = int(saved) if saved is not None else None
                break
        return self._saved


def default_port() -> int:
    """DYNAMODB_PORT, else PORT + 1 (PORT defaults to 8000)."""
    if os.environ.get("DYNAMODB_PORT"):
        return int(os.environ["DYNAMODB_PORT"])
    return int(os.environ.get("PORT") or "8000") + 1


def _print_line(value: dict[str, Any]) -> None:
    try:
        print(json.dumps(value), flush=True)
    except OSError:  # whoever started us is gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _stop_when_stdin_closes(stopped: threading.Event) -> None:
    # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the interpreter's exit.
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    stopped.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: DYNAMODB_PORT, else PORT + 1")
    parser.add_argument("--port-variable", default=None, help="the setting to name when the port is taken")
    parser.add_argument("--data-dir", default=os.environ.get("DYNAMODB_DATA_DIR") or None,
                        help="keep DynamoDB data here (journal + snapshot); default: DYNAMODB_DATA_DIR, else none")
    parser.add_argument("--compact-mb", type=float, default=DEFAULT_COMPACT_BYTES / 2**20,
                        help="compact the journal into the snapshot when it grows past this size")
    parser.add_argument("--faults", default=os.environ.get(FAULTS_ENV) or None,
                        help="inject DynamoDB faults, e.g. throttle=0.05,error=0.03,slow=0.02 (tests only); "
                             f"default: {FAULTS_ENV}, else none")
    parser.add_argument("--fault-seed", type=int, default=None, help="seed of the fault decisions (repeatable runs)")
    parser.add_argument("--managed", action="store_true",
                        help="run under `make run`: stop when stdin closes; ignore SIGINT and SIGHUP")
    args = parser.parse_args(argv)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if args.managed:
        for signum in (signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        threading.Thread(target=_stop_when_stdin_closes, args=(stopped,), daemon=True).start()
    else:
        for signum in (signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stopped.set())
    port_variable = args.port_variable or ("DYNAMODB_PORT" if args.port is None else "--port")
    faults = None
    if args.faults is not None or args.fault_seed is not None:
        try:
            faults = FaultSpec.parse(args.faults or "")
        except ValueError as error:
            print(f"embedded DynamoDB: {error}", file=sys.stderr)
            return 2
        if args.fault_seed is not None:
            faults = FaultSpec(**{**vars(faults), "seed": args.fault_seed})
    try:
        server = EmbeddedDynamoDB(args.host, default_port() if args.port is None else args.port, args.data_dir,
                                  compact_bytes=int(args.compact_mb * 2**20), port_variable=port_variable,
                                  faults=faults).start()
    except (PortInUse, DataDirInUse, CorruptJournal) as error:
        print(f"embedded DynamoDB: {error}", file=sys.stderr)
        return 2
    ready: dict[str, Any] = {"endpoint": server.endpoint,
                             "restored": server.restored.as_dict() if server.restored else None}
    if faults is not None:
        ready["faults"] = faults.describe()
        print(f"embedded DynamoDB: injecting faults ({faults.describe()}); "
              f"{server.endpoint}{FAULTS_PATH} shows and switches them", file=sys.stderr, flush=True)
    # The parent process reads this line to learn the port when --port 0 is used.
    _print_line(ready)
    stopped.wait()
    _print_line({"saved": server.stop()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
