"""Settings behave as documented with and without the environment variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django, json; from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'cache': s.CACHES['default']['BACKEND'],"
    " 'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'secure_cookies': s.SESSION_COOKIE_SECURE}))"
)


def load_settings(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "THINKFAMILY_ENV", "ALLOWED_HOSTS"}}
    base.update({"DJANGO_SETTINGS_MODULE": "thinkfamily.settings", "THINKFAMILY_VAR_DIR": str(tmp_path)})
    base.update(env)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True)
    return result


def parsed(result):
    import json

    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_is_sqlite_eager_locmem(tmp_path):
    s = parsed(load_settings(tmp_path))
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"].startswith(str(tmp_path))
    assert s["eager"] is True
    assert s["broker"] == "memory://"
    assert s["cache"].endswith("LocMemCache")
    assert s["debug"] is True


def test_database_and_redis_urls_switch_to_postgres_and_a_real_worker(tmp_path):
    s = parsed(load_settings(tmp_path, DATABASE_URL="postgres://u@db:5432/tf", REDIS_URL="redis://cache:6379/0"))
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["name"] == "tf"
    assert s["eager"] is False
    assert s["broker"] == "redis://cache:6379/0"
    assert s["cache"].endswith("RedisCache")


@pytest.mark.parametrize(
    "env, message",
    [
        ({"THINKFAMILY_ENV": "production", "DEBUG": "true", "SECRET_KEY": "x" * 50}, "DEBUG is on in production"),
        ({"THINKFAMILY_ENV": "production", "DEBUG": "false"}, "SECRET_KEY"),
        ({"THINKFAMILY_ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "false"}, "insecure default"),
        ({"DEBUG": "maybe"}, "not a boolean"),
    ],
)
def test_unsafe_production_settings_refuse_to_start(tmp_path, env, message):
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_with_a_real_secret_starts_with_secure_cookies(tmp_path):
    s = parsed(load_settings(tmp_path, THINKFAMILY_ENV="production", SECRET_KEY="k" * 50, ALLOWED_HOSTS="tf.example.org"))
    assert s["debug"] is False
    assert s["hosts"] == ["tf.example.org"]
    assert s["secure_cookies"] is True
