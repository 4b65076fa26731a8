import io
import logging

import pytest
from django.conf import settings
from django.utils.module_loading import import_string


@pytest.fixture
def json_logs():
    """Everything logged meanwhile, at DEBUG, through the production JSON formatter and filters."""
    config = settings.LOGGING
    options = dict(config["formatters"]["json"])
    formatter = import_string(options.pop("()"))(**options)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
