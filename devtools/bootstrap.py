"""Create the local table from the same CloudFormation definition that infra/ deploys."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"
TABLE_RESOURCE = "BaomingTable"


def table_properties() -> dict[str, Any]:
    template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return template["Resources"][TABLE_RESOURCE]["Properties"]


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Translate the CloudFormation table properties into CreateTable arguments."""
    props = table_properties()
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        kwargs["SSESpecification"] = {"Enabled": True}
    return kwargs


def ensure_table(client: Any, table_name: str) -> bool:
    """Create the table (and its TTL) if it does not exist. Returns True when created."""
    if table_name in client.list_tables()["TableNames"]:
        add_missing_indexes(client, table_name)
        return False
    client.create_table(**create_table_kwargs(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.1})
    ttl = table_properties().get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return True


def add_missing_indexes(client: Any, table_name: str) -> list[str]:
    """Indexes infra/ defines that a table made by an older version lacks (a kept `.local/`
    state): created one at a time, as DynamoDB allows. Returns their names."""
    props = table_properties()
    existing = {
        index["IndexName"]
        for index in client.describe_table(TableName=table_name)["Table"].get("GlobalSecondaryIndexes", [])
    }
    added = []
    for index in props.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in existing:
            continue
        names = {part["AttributeName"] for part in index["KeySchema"]}
        client.update_table(
            TableName=table_name,
            AttributeDefinitions=[a for a in props["AttributeDefinitions"] if a["AttributeName"] in names],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        added.append(index["IndexName"])
    return added


def ensure_bucket(client: Any, bucket: str) -> bool:
    """The export bucket on the embedded S3. Returns True when created."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket in existing:
        return False
    client.create_bucket(Bucket=bucket)
    return True
