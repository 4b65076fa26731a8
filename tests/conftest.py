import io
import logging

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from tests.factories import QuestionFactory, SiteFactory, UserFactory

pytest_plugins = ["tests.support.fake_internet"]  # fake_internet and canaries, for outbound HTTP


@pytest.fixture
def visitor(client):
    return client


@pytest.fixture
def curator(db):
    from accounts.services import user_set_role

    user = UserFactory(username="cura")
    return user_set_role(user=user, role="curator", granted=True)


@pytest.fixture
def expert(db):
    return UserFactory(username="exp", is_expert=True)


@pytest.fixture
def builder(db):
    return UserFactory(username="bld", is_builder=True, organisation="Lab")


@pytest.fixture
def site(db):
    return SiteFactory(slug="math", name="Mathematics")


@pytest.fixture
def question(site):
    return QuestionFactory(site=site)


@pytest.fixture(scope="session")
def llama_server():
    """Base URL of a real llama.cpp OpenAI-compatible server (SmolLM2-135M), for the session."""
    from tests.support.llama import start_llama_server, stop

    proc, base_url = start_llama_server()
    yield base_url
    stop(proc)


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
