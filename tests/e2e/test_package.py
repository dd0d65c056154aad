"""The deployable artefacts: `make package` output passes cfn-lint, grants least privilege, ships bytecode."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "-m", "devtools.package", "--stage", "dev", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    return out / "dev"


def _statements(template):
    for name, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in resource["Properties"]["Policies"]:
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield name, statement


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_template_passes_cfn_lint(packaged):
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(packaged / "sam.json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_iam_is_least_privilege(packaged):
    template = json.loads((packaged / "sam.json").read_text())
    statements = list(_statements(template))
    assert {name for name, _ in statements} == {"ApiHandlerRole", "StaffOrAdminRole", "RestampRetentionRole",
                                                "SendMessagesRole", "RetryMessagesRole", "RecoverImportsRole",
                                                "ForgetItemPhotosRole"}
    for role, statement in statements:
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            assert "*" not in action, (role, action)
        if "NotResource" in statement:
            # An SMS to a phone number has no ARN: Publish is allowed to anything except SNS topics.
            assert statement["Action"] == ["sns:Publish"] and role in ("SendMessagesRole", "RetryMessagesRole")
            assert statement["NotResource"] == {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}
            continue
        for resource in _as_list(statement["Resource"]):
            text = json.dumps(resource)
            assert text not in ('"*"',) and "arn:*" not in text and ":*:" not in text, (role, resource)
            # every resource names this stack's own table, bucket, log group or parameters
            assert any(ref in text for ref in ("BaomingTable", "ExportBucket", "PhotoBucket", "Logs",
                                                "parameter/baoming/${Stage}")), text
    authorizer_actions = {a for role, s in statements if role == "StaffOrAdminRole" for a in _as_list(s["Action"])}
    assert authorizer_actions == {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem", "ssm:GetParameter"}
    retention_actions = {a for role, s in statements if role == "RestampRetentionRole" for a in _as_list(s["Action"])}
    assert retention_actions == {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:Query", "dynamodb:UpdateItem",
                                 "dynamodb:DeleteItem"}
    # The sweep of crashed imports (SPEC §6) reads the pending index and deletes what they wrote.
    recovery_actions = {a for role, s in statements if role == "RecoverImportsRole" for a in _as_list(s["Action"])}
    assert recovery_actions == {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:Query", "dynamodb:UpdateItem",
                                "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}


def test_table_bucket_and_api_settings(packaged):
    resources = json.loads((packaged / "sam.json").read_text())["Resources"]
    table = resources["BaomingTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    bucket = resources["ExportBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 1
    api = resources["RestAPI"]["Properties"]
    assert api["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ThrottleRate"}
    assert api["DefinitionBody"]["x-amazon-apigateway-binary-media-types"] == ["*/*"]
    env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "BaomingTable"}
    assert env["ADMIN_TOKEN_PARAM"] == {"Fn::Sub": "/baoming/${Stage}/admin-token"}
    assert "ADMIN_TOKEN" not in env and "TOKEN_SIGNING_KEYS" not in env
    # Access logs name the route's template (/t/{ticket_token}), never the path with the token,
    # and carry no bodies or Authorization header.
    access = json.loads(api["AccessLogSetting"]["Format"])
    assert {"requestId", "method", "resource", "status", "latencyMs"} <= set(access)
    assert "$context.resourcePath" in access.values() and "$context.path" not in access.values()
    assert not any("authorization" in value.lower() or "body" in value.lower() for value in access.values())
    functions = [r["Properties"] for r in resources.values() if r.get("Type") == "AWS::Serverless::Function"]
    assert len(functions) == 7 and all("ReservedConcurrentExecutions" in f for f in functions)
    # Messages (SPEC §7): the table's stream, filtered to queued messages, feeds the sender.
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    stream = resources["SendMessages"]["Properties"]["Events"]["SendMessagesDynamodbEventSource"]["Properties"]
    assert stream["Stream"] == {"Fn::GetAtt": ["BaomingTable", "StreamArn"]}
    assert json.loads(stream["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "dynamodb": {"NewImage": {"type": {"S": ["message"]}, "gsi1pk": {"S": ["MSGQ"]}}}}
    retry = resources["RetryMessages"]["Properties"]
    assert retry["Events"]["RetryMessagesEvent"]["Properties"]["Schedule"] == "rate(1 minute)"
    assert retry["Environment"]["Variables"]["SMS_PROVIDER"] == {"Ref": "SmsProvider"}
    responses = [r["Properties"] for r in resources.values() if r.get("Type") == "AWS::ApiGateway::GatewayResponse"]
    gateway = {r["ResponseType"]: r.get("StatusCode") for r in responses}
    assert gateway == {"UNAUTHORIZED": "401", "ACCESS_DENIED": "403", "MISSING_AUTHENTICATION_TOKEN": "404",
                       "AUTHORIZER_FAILURE": "503", "AUTHORIZER_CONFIGURATION_ERROR": "503", "THROTTLED": "429",
                       "REQUEST_TOO_LARGE": "413", "UNSUPPORTED_MEDIA_TYPE": "415",
                       "DEFAULT_4XX": None, "DEFAULT_5XX": None}  # the defaults keep the gateway's status
    for response in responses:  # every gateway error speaks the contract, in Chinese
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"error", "message"} and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert {r["ResponseType"] for r in responses
            if r.get("ResponseParameters", {}).get("gatewayresponse.header.Retry-After")} == {
        "AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR", "THROTTLED", "DEFAULT_5XX"}


def test_zip_ships_bytecode_and_nothing_dev_only(packaged):
    names = zipfile.ZipFile(packaged / "deployment.zip").namelist()
    assert "app.py" in names and "chalicelib/storage/registrations.py" in names
    assert any(n.startswith("__pycache__/app.cpython-311") for n in names)
    assert any(n.startswith("chalicelib/storage/__pycache__/registrations.cpython-311") for n in names)
    assert any(n.startswith("marshmallow/__pycache__/") for n in names)
    assert "chalicelib/web/static/vendor/jsQR.js" in names
    for dev_only in ("devtools/", "tests/", "moto/", "boto3/", "pytest", "schemathesis/", "node_modules/"):
        assert not any(n.startswith(dev_only) for n in names), dev_only


def test_photo_bucket_and_its_least_privilege(packaged):
    """Item photos (SPEC §8): a private, encrypted bucket taking POSTs only from the app's origin,
    unconfirmed uploads expiring after a day; the API may touch only its two prefixes, and the
    stream consumer that follows deleted item records may only delete there."""
    template = json.loads((packaged / "sam.json").read_text())
    resources = template["Resources"]
    bucket = resources["PhotoBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    cors = bucket["CorsConfiguration"]["Fn::If"]
    assert cors[0] == "HasPublicBaseUrl" and cors[2] == {"Ref": "AWS::NoValue"}
    rule = cors[1]["CorsRules"][0]
    assert rule["AllowedMethods"] == ["POST"] and "*" not in json.dumps(rule["AllowedOrigins"])
    uploads = next(r for r in bucket["LifecycleConfiguration"]["Rules"] if r["Prefix"] == "uploads/")
    assert uploads["ExpirationInDays"] == 1 and uploads["Status"] == "Enabled"
    assert not any(r.get("ExpirationInDays") for r in bucket["LifecycleConfiguration"]["Rules"] if r["Prefix"] == "photos/")
    assert resources["APIHandler"]["Properties"]["Environment"]["Variables"]["PHOTO_BUCKET"] == {"Ref": "PhotoBucket"}
    prefixes = [{"Fn::Sub": "${PhotoBucket.Arn}/uploads/*"}, {"Fn::Sub": "${PhotoBucket.Arn}/photos/*"}]
    for role, actions in (("ApiHandlerRole", {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"}),
                          ("ForgetItemPhotosRole", {"s3:DeleteObject", "s3:ListBucket"})):
        statements = [s for name, s in _statements(template) if name == role and "PhotoBucket" in json.dumps(s)]
        assert {a for s in statements for a in _as_list(s["Action"])} == actions
        for statement in statements:
            if statement["Action"] == ["s3:ListBucket"]:
                assert statement["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*", "photos/*"]}}
            else:
                assert statement["Resource"] == prefixes
    forget = resources["ForgetItemPhotos"]["Properties"]
    source = forget["Events"]["ForgetItemPhotosDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["BaomingTable", "StreamArn"]}
    assert json.loads(source["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["REMOVE"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ITEM#"}]}}}}
    assert forget["Handler"] == "app.forget_item_photos"
