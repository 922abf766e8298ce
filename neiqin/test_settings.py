"""Settings for the test suite: fast hasher, jobs run inline, temporary NEIQIN_HOME."""

import os
import tempfile

os.environ.setdefault("NEIQIN_HOME", tempfile.mkdtemp(prefix="neiqin-test-"))
os.environ.setdefault("NEIQIN_HUEY_IMMEDIATE", "1")

from neiqin.settings import *  # noqa: E402,F403
from neiqin.settings import DATABASES, HUEY, NEIQIN_HOME  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
# Each xdist worker gets its own SQLite file; concurrency tests need a real file (not the
# shared in-memory database, whose table locks ignore the busy timeout).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    DATABASES["default"]["TEST"] = {"NAME": str(NEIQIN_HOME / f"test-{worker}.sqlite3")}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
