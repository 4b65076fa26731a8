import os

import pytest

from workers.celery_app import app as celery_app

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # exports load from local files; never the Hub


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.QUORUM_EXPORT_DIR = tmp_path / "exports"
    return settings.QUORUM_EXPORT_DIR
