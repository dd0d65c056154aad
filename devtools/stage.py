"""Read a Chalice stage's configuration (.chalice/config.json), the one place stages are defined."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalice.config import Config

PROJECT_DIR = Path(__file__).resolve().parent.parent


def config_from_disk() -> dict[str, Any]:
    return json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text(encoding="utf-8"))


def chalice_config(stage: str) -> Config:
    disk = config_from_disk()
    return Config(
        chalice_stage=stage,
        user_provided_params={"app_name": disk["app_name"], "project_dir": str(PROJECT_DIR)},
        config_from_disk=disk,
    )


def stage_environment(stage: str) -> dict[str, str]:
    return dict(chalice_config(stage).environment_variables)
