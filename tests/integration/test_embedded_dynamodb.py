"""The embedded server must be linearizable for conditional transactions under concurrency."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def test_transactions_never_exceed_the_counter_bound(dynamodb_endpoint, app_environment):
    client = boto3.client(
        "dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(max_pool_connections=64, retries={"max_attempts": 1}),
    )
    table = app_environment["TABLE_NAME"]
    counter_key = {"pk": {"S": f"CAP#{uuid.uuid4()}"}, "sk": {"S": "COUNTER"}}
    client.put_item(TableName=table, Item={**counter_key, "used": {"N": "0"}, "capacity": {"N": "100"}})
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
        list(pool.map(take_seat, range(160)))

    seats = client.query(
        TableName=table, KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": counter_key["pk"], ":s": {"S": "SEAT#"}},
    )["Items"]
    used = client.get_item(TableName=table, Key=counter_key, ConsistentRead=True)["Item"]["used"]["N"]
    assert len(successes) == 100
    assert len(failures) == 60
    assert len(seats) == 100
    assert used == "100"


def test_a_cancelled_transaction_leaves_every_item_exactly_as_it_was(dynamodb_endpoint, app_environment):
    client = boto3.client(
        "dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    table = app_environment["TABLE_NAME"]
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
