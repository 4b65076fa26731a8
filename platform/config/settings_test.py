"""Settings for the test suite: the real settings, read as a developer's machine would."""

import os

os.environ.setdefault("QUORUM_ENV_FILE", "")  # a developer's .env never leaks into the tests
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("QUORUM_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))

from config.settings import *  # noqa: E402,F403

# The tests' local model servers and webhook receivers listen on free loopback ports.
QUORUM_GENERATION_ALLOWED_HOSTS = ["127.0.0.1:*"]
QUORUM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent-request tests need SQLite's real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
