"""Property-based fuzzing of the running local stack from its own OpenAPI document."""
import shutil
import subprocess
import sys
from pathlib import Path

import requests
from openapi_spec_validator import validate

from devtools.samples import registration_body

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
])


def test_served_document_is_valid_openapi(stack):
    document = requests.get(stack.base_url + "/openapi.json", timeout=10).json()
    validate(document)


def test_schemathesis_finds_no_server_errors_or_schema_violations(stack, make_event, public, tmp_path):
    cli = Path(sys.executable).with_name("schemathesis")
    assert cli.exists() or shutil.which("schemathesis")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    # Real ids, so generated requests reach the logic behind the 404s as well.
    event = make_event(kind="collector_exchange", capacity=3, max_party_size=2)
    ticket = public.post(f"/events/{event['event_id']}/registrations", json=registration_body("collector_exchange"))
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[parameters]\n"
        f'"path.event_id" = "{event["event_id"]}"\n'
        f'"path.ticket_token" = "{ticket.json()["ticket_token"]}"\n'
    )
    result = subprocess.run(
        [
            str(cli), "--config-file", str(config), "run", f"{stack.base_url}/openapi.json",
            "--checks", CHECKS,
            "--header", f"Authorization: Bearer {stack.admin_token}",
            "--max-examples", "40",
            # One worker: CPython 3.11's ast module is not thread-safe, and hypothesis parses
            # lambdas with it ("AST constructor recursion depth mismatch").
            "--workers", "1",
            "--phases", "examples,coverage,fuzzing",
            "--seed", "20261128",
            "--suppress-health-check", "all",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    (artifacts / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
