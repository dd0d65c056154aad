"""Property-based fuzzing of the running local stack from its own OpenAPI document."""
import shutil
import subprocess
import sys
from pathlib import Path

import requests
from openapi_spec_validator import validate

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


def test_schemathesis_finds_no_server_errors_or_schema_violations(stack):
    cli = Path(sys.executable).with_name("schemathesis")
    assert cli.exists() or shutil.which("schemathesis")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    result = subprocess.run(
        [
            str(cli), "run", f"{stack.base_url}/openapi.json",
            "--checks", CHECKS,
            "--header", f"Authorization: Bearer {stack.admin_token}",
            "--max-examples", "40",
            "--workers", "2",
            "--phases", "examples,coverage,fuzzing",
            "--seed", "20261128",
            "--suppress-health-check", "all",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    (artifacts / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
