"""The embedded server must be linearizable for conditional transactions under concurrency,
with and without its journal (a data directory), and the journal must record exactly what
the concurrent clients were told."""
import json
import signal
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.bootstrap import create_table_kwargs

ROOT = Path(__file__).resolve().parents[2]
DURABLE_TABLE = "durable-linearizable"


def _client(endpoint, **config):
    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local", config=Config(**config),
    )


class DurableServer:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.dynamodb_server", "--port", "0", "--data-dir", str(self.data_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        self.endpoint = json.loads(self.process.stdout.readline())["endpoint"]

    def kill(self, signum=signal.SIGKILL):
        self.process.send_signal(signum)
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def durable(tmp_path_factory):
    server = DurableServer(tmp_path_factory.mktemp("durable-dynamodb"))
    _client(server.endpoint).create_table(**create_table_kwargs(DURABLE_TABLE))
    yield server
    server.kill(signal.SIGTERM)


@pytest.fixture(params=["throwaway", "durable"])
def server(request, dynamodb_endpoint, app_environment):
    """(endpoint, table): the session's server (no data directory), or one with a journal."""
    if request.param == "throwaway":
        return dynamodb_endpoint, app_environment["TABLE_NAME"]
    durable = request.getfixturevalue("durable")
    return durable.endpoint, DURABLE_TABLE


def take_seats(client, table, counter_key, attempts):
    successes, failures = [], []
    lock = threading.Lock()

    def take_seat(n: int) -> None:
        try:
            client.transact_write_items(TransactItems=[
                {"Update": {
                    "TableName": table, "Key": counter_key,
                    "UpdateExpression": "SET used = used + :one",
                    "ConditionExpression": "used < #cap",
                    "ExpressionAttributeNames": {"#cap": "capacity"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }},
                {"Put": {
                    "TableName": table,
                    "Item": {"pk": counter_key["pk"], "sk": {"S": f"SEAT#{n:04d}"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }},
            ])
            outcome = successes
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException", error.response
            outcome = failures
        with lock:
            outcome.append(n)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(take_seat, range(attempts)))
    return successes, failures


def seats_and_counter(client, table, counter_key):
    seats = client.query(
        TableName=table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": counter_key["pk"], ":s": {"S": "SEAT#"}}, ConsistentRead=True,
    )["Items"]
    used = client.get_item(TableName=table, Key=counter_key, ConsistentRead=True)["Item"]["used"]["N"]
    return {seat["sk"]["S"] for seat in seats}, used


def test_transactions_never_exceed_the_counter_bound(server):
    endpoint, table = server
    client = _client(endpoint, max_pool_connections=64, retries={"max_attempts": 1})
    counter_key = {"pk": {"S": f"CAP#{uuid.uuid4()}"}, "sk": {"S": "COUNTER"}}
    client.put_item(TableName=table, Item={**counter_key, "used": {"N": "0"}, "capacity": {"N": "100"}})
    successes, failures = take_seats(client, table, counter_key, 160)
    seats, used = seats_and_counter(client, table, counter_key)
    assert len(successes) == 100
    assert len(failures) == 60
    assert len(seats) == 100
    assert used == "100"


@pytest.mark.slow
def test_concurrent_acknowledgements_are_exactly_what_survives_kill_9(durable):
    client = _client(durable.endpoint, max_pool_connections=64, retries={"max_attempts": 1})
    counter_key = {"pk": {"S": f"CAP#{uuid.uuid4()}"}, "sk": {"S": "COUNTER"}}
    client.put_item(TableName=DURABLE_TABLE, Item={**counter_key, "used": {"N": "0"}, "capacity": {"N": "60"}})
    successes, _ = take_seats(client, DURABLE_TABLE, counter_key, 100)
    durable.kill(signal.SIGKILL)
    durable.start()
    seats, used = seats_and_counter(_client(durable.endpoint), DURABLE_TABLE, counter_key)
    assert seats == {f"SEAT#{n:04d}" for n in successes}
    assert used == "60"


def test_a_cancelled_transaction_leaves_every_item_exactly_as_it_was(server):
    endpoint, table = server
    client = _client(endpoint)
    pk = {"S": f"ROLLBACK#{uuid.uuid4()}"}
    rich = {"pk": pk, "sk": {"S": "RICH"}, "n": {"N": "5"}, "items": {"L": [{"M": {"name": {"S": "像章"}}}]},
            "tags": {"SS": ["a", "b"]}, "flag": {"BOOL": True}, "nothing": {"NULL": True}}
    client.put_item(TableName=table, Item=rich)
    try:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": table, "Key": {"pk": pk, "sk": {"S": "RICH"}},
                        "UpdateExpression": "SET n = n + :one, flag = :f REMOVE #items",
                        "ExpressionAttributeNames": {"#items": "items"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":f": {"BOOL": False}}}},
            {"Put": {"TableName": table, "Item": {"pk": pk, "sk": {"S": "NEW"}}}},
            {"ConditionCheck": {"TableName": table, "Key": {"pk": pk, "sk": {"S": "MISSING"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
        raise AssertionError("the transaction should have been cancelled")
    except ClientError as error:
        reasons = [r["Code"] for r in error.response["CancellationReasons"]]
        assert reasons == ["None", "None", "ConditionalCheckFailed"]
    items = client.query(TableName=table, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": pk}, ConsistentRead=True)["Items"]
    assert items == [rich]
