"""What a cold start imports: `import app` (the API's and the authorizer's Lambda handler module)
must not load the services, schemas, templates or file formats — they load on first use."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("marshmallow", "apispec", "jinja2", "qrcode", "xlsxwriter", "boto3.s3.transfer",
         "chalicelib.services.events", "chalicelib.schemas.requests", "chalicelib.domain.events",
         "chalicelib.web.pages", "chalicelib.formats.qr")


def loaded_after(statement: str) -> set[str]:
    """Modules executed after `statement` (a module bound lazily but not yet used doesn't count)."""
    code = (f"import json, sys; {statement}; print(json.dumps(sorted(name for name, module in sys.modules.items()"
            " if type(module).__name__ != '_LazyModule')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_app_loads_nothing_heavy():
    loaded = loaded_after("import app")
    assert not [name for name in HEAVY if name in loaded]


def test_a_route_module_loads_on_first_use():
    loaded = loaded_after("import app; app.events.__name__")
    assert "chalicelib.services.events" in loaded and "marshmallow" in loaded
