import pytest

from tests.support.fake_stackexchange import FakeStackExchange


@pytest.fixture
def fake_se():
    with FakeStackExchange() as server:
        yield server


@pytest.fixture
def waits():
    return []


@pytest.fixture
def se_client(fake_se, waits):
    """The real client against the fake server; waits are recorded, never slept."""
    from curation.stackexchange import StackExchangeClient

    return StackExchangeClient(base_url=fake_se.base_url, timeout_s=5, sleep=waits.append, clock=lambda: 1000.0)
