"""The MATCHING_* settings come from the environment (thinkfamily/settings.py) and reach a run's configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from apps.matching.config import MatchingConfig; "
    "c = MatchingConfig.from_settings(); print(json.dumps({f: getattr(c, f) for f in "
    "('match_threshold', 'review_threshold', 'memory_limit', 'threads', 'review_queue_cap')}))"
)


def configured(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATCHING_")}
    base |= {"DJANGO_SETTINGS_MODULE": "thinkfamily.settings", "THINKFAMILY_VAR_DIR": str(tmp_path)} | env
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True)


def config_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_without_the_environment(tmp_path):
    assert config_of(configured(tmp_path)) == {
        "match_threshold": 0.99, "review_threshold": 0.8, "memory_limit": "2GB", "threads": 2, "review_queue_cap": 5000,
    }


def test_each_setting_is_read_from_the_environment(tmp_path):
    result = configured(tmp_path, MATCHING_MATCH_THRESHOLD="0.95", MATCHING_REVIEW_THRESHOLD="0.5",
                        MATCHING_DUCKDB_MEMORY_LIMIT="512MB", MATCHING_DUCKDB_THREADS="4", MATCHING_REVIEW_QUEUE_CAP="10")
    assert config_of(result) == {
        "match_threshold": 0.95, "review_threshold": 0.5, "memory_limit": "512MB", "threads": 4, "review_queue_cap": 10,
    }


def test_a_review_threshold_above_the_match_threshold_is_refused_at_start(tmp_path):
    result = configured(tmp_path, MATCHING_MATCH_THRESHOLD="0.8", MATCHING_REVIEW_THRESHOLD="0.9")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "MATCHING_REVIEW_THRESHOLD" in result.stderr
