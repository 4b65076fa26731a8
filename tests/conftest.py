import pytest

from tests.factories import QuestionFactory, SiteFactory, UserFactory


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
