"""The OpenAPI document: valid OpenAPI 3, and in step with the routes app.py declares."""
from openapi_spec_validator import validate

from app import app
from chalicelib.web import openapi


def test_document_is_valid_openapi_3():
    validate(openapi.document())


def test_every_route_is_documented_and_nothing_else():
    routes = {
        (path, method.lower())
        for path, methods in app.routes.items()
        for method in methods
        if path != "/openapi.json"
    }
    documented = {
        (path, method) for path, operations in openapi.document()["paths"].items() for method in operations
    }
    assert routes == documented


def test_request_schemas_come_from_the_validating_schemas():
    doc = openapi.document()
    create = doc["components"]["schemas"]["EventCreate"]
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {"kind", "title", "venue", "starts_at", "ends_at", "capacity"}
    assert create["properties"]["capacity"]["minimum"] == 1
