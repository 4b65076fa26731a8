"""The outbound-HTTP policy against hostile URLs: every variant is refused when registered (the
webhook page, the model-entry API) and again when sent (rows written past the checks), and no
request ever reaches the loopback canary the URL really points at. Runs on the fake internet
(tests/support/fake_internet.py): names resolve only as a test says, TEST-NET-3 addresses
stand for public hosts and are served by loopback stand-ins, nothing leaves the machine."""

import pytest
import requests

from common.outbound import OutboundPolicy, URLRefused
from submissions.models import GenerationJob, JobStatus
from submissions.services import generation_job_run
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory
from tests.submissions.conftest import token_client
from tests.support.fake_openai import FakeOpenAI
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from workers.celery_app import app as celery_app

pytestmark = pytest.mark.django_db

PUBLIC = "203.0.113.10"  # pub.test on the fake internet

# (URL, what the refusal says). {p} is the loopback canary's port: where the URL really leads.
HOSTILE = [
    # parser differentials: requests/urllib3 would connect to 127.0.0.1, urlparse saw pub.test
    ("http://127.0.0.1:{p}\\@pub.test/x", "backslashes"),
    ("http://127.0.0.1:{p}\\\\@pub.test/x", "backslashes"),
    ("http://pub.test\\@127.0.0.1:{p}/x", "backslashes"),
    ("http://pub.test@127.0.0.1:{p}/x", "user name or password"),
    ("http://pub.test:80@127.0.0.1:{p}/x", "user name or password"),
    ("http://user:pw@127.0.0.1:{p}/x", "user name or password"),
    ("http://127.0.0.1:{p}%5C@pub.test/x", "user name or password"),
    ("http://127.0.0.1:{p}%2F@pub.test/x", "user name or password"),
    ("http://127.0.0.1:{p}%40pub.test/x", "not a valid URL"),
    ("http://pub.test%2F@127.0.0.1:{p}/x", "user name or password"),
    ("http://pub.test%40127.0.0.1:{p}/x", "may not contain %"),
    ("http://127.0.0.1%2F:{p}/x", "may not contain %"),
    ("http://127.0.0.1:{p}#@pub.test/x", "non-public address 127.0.0.1"),
    ("http://127.0.0.1:{p}?@pub.test/x", "non-public address 127.0.0.1"),
    ("http://127.0.0.1:{p} @pub.test/x", "spaces"),
    ("http://127.0.0.1:{p}\t/x", "control characters"),
    # names that mean loopback
    ("http://localhost:{p}/x", "non-public address 127.0.0.1"),
    ("http://LocalHost.:{p}/x", "non-public address 127.0.0.1"),
    ("http://inside.test:{p}/x", "non-public address 127.0.0.1"),  # a name resolving to 127.0.0.1
    ("http://mixed.test:{p}/x", "non-public address 127.0.0.1"),  # one public record, one not
    ("http://127.0.0.1.:{p}/x", "non-public address 127.0.0.1"),
    (
        "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:{p}/x",
        "not a valid URL",
    ),  # fullwidth
    ("http://127\u30020\u30020\u30021:{p}/x", "not a valid URL"),  # ideographic full stops
    # IPv4 number forms (all 127.0.0.1 to inet_aton)
    ("http://2130706433:{p}/x", "four decimal numbers"),
    ("http://0x7f.1:{p}/x", "four decimal numbers"),
    ("http://0x7f000001:{p}/x", "four decimal numbers"),
    ("http://0177.0.0.1:{p}/x", "four decimal numbers"),
    ("http://127.1:{p}/x", "four decimal numbers"),
    ("http://127.0.1:{p}/x", "four decimal numbers"),
    ("http://127.0.0.01:{p}/x", "four decimal numbers"),
    ("http://0:{p}/x", "four decimal numbers"),
    # IPv6 forms of loopback, mapped and embedded IPv4, zone ids
    ("http://[::1]:{p}/x", "non-public address ::1"),
    ("http://[0:0:0:0:0:0:0:1]:{p}/x", "non-public address ::1"),
    ("http://[::ffff:127.0.0.1]:{p}/x", "embeds 127.0.0.1"),
    ("http://[0:0:0:0:0:ffff:7f00:1]:{p}/x", "embeds 127.0.0.1"),
    ("http://[::ffff:a9fe:a9fe]:{p}/x", "embeds 169.254.169.254"),
    ("http://[::127.0.0.1]:{p}/x", "non-public address"),
    ("http://[64:ff9b::127.0.0.1]:{p}/x", "embeds 127.0.0.1"),
    ("http://[2002:7f00:1::1]:{p}/x", "embeds 127.0.0.1"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{p}/x", "non-public address"),  # Teredo
    ("http://[fe80::1%25lo]:{p}/x", "may not contain %"),
    ("http://[::]:{p}/x", "unspecified"),
    # private, link-local (cloud metadata), shared, multicast, reserved, unspecified
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "private"),
    ("http://10.0.0.5/x", "private"),
    ("http://172.16.0.1/x", "private"),
    ("http://192.168.1.1/x", "private"),
    ("http://100.64.0.1/x", "non-public address 100.64.0.1"),
    ("http://224.0.0.1/x", "multicast"),
    ("http://240.0.0.1/x", "non-public address 240.0.0.1"),
    ("http://255.255.255.255/x", "non-public address"),
    ("http://0.0.0.0:{p}/x", "unspecified"),
    ("http://198.51.100.7/x", "non-public address"),  # documentation, not the fake internet
    # schemes
    ("ftp://pub.test/x", "http(s)"),
    ("file:///etc/passwd", "http(s)"),
    ("gopher://127.0.0.1:{p}/x", "http(s)"),
    ("//127.0.0.1:{p}/x", "http(s)"),
]


@pytest.fixture
def world(fake_internet, canaries, settings):
    """Loopback is not allowed; the canary is where every hostile URL really leads."""
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = []
    settings.QUORUM_GENERATION_ALLOWED_HOSTS = []
    fake_internet.names.update({
        "pub.test": [PUBLIC], "inside.test": ["127.0.0.1"], "mixed.test": [f"{PUBLIC},127.0.0.1"],
    })  # fmt: skip
    fake_internet.canary = canaries()
    return fake_internet


@pytest.fixture
def eager(django_capture_on_commit_callbacks):
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    celery_app.conf.update(task_always_eager=False, task_eager_propagates=False)


def hostile(template: str, world) -> str:
    return template.replace("{p}", str(world.canary.port))


def assert_canary_untouched(world):
    assert world.canary.hits == []
    assert ("127.0.0.1", world.canary.port) not in world.attempts


def send_test(endpoint, eager) -> WebhookDelivery:
    with eager():
        delivery = services.endpoint_send_test(endpoint=endpoint, actor=endpoint.owner)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_hostile_webhook_urls_are_refused_at_registration_and_at_send(
    template, reason, world, builder, eager
):
    url = hostile(template, world)
    with pytest.raises(services.WebhookURLRefused, match=_fragment(reason)):
        services.endpoint_create(owner=builder, url=url, event_types=["answer.validated"])
    planted = WebhookEndpoint.objects.create(  # as if it had passed an older, weaker check
        owner=builder, url=url, event_types=["answer.validated"], secret="whsec_x"
    )
    delivery = send_test(planted, eager)
    assert delivery.status == "failed" and delivery.response_status is None
    assert reason in delivery.last_error
    assert_canary_untouched(world)


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_hostile_endpoint_urls_are_refused_by_the_api_and_by_the_run(
    template, reason, world, builder
):
    url = hostile(template, world)
    response = token_client(builder).post(
        "/api/v1/model-entries/", {"name": "m", "endpoint_base_url": url}, format="json"
    )
    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert error["field"] == "endpoint_base_url"
    entry = ModelEntryFactory(owner=builder, endpoint_base_url=url, endpoint_model="m")
    question = QuestionFactory(site=SiteFactory(slug="math"))
    job = GenerationJob.objects.create(model_entry=entry, created_by=builder, total=1,
                                       question_ids=[question.pk])  # fmt: skip
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and reason in job.last_error
    assert_canary_untouched(world)


def test_the_field_error_names_the_address_and_the_setting(world, builder):
    response = token_client(builder).post(
        "/api/v1/model-entries/",
        {"name": "m", "endpoint_base_url": "http://127.0.0.1:8797/v1"},
        format="json",
    )
    [error] = response.json()["errors"]
    assert error["field"] == "endpoint_base_url"
    assert error["reason"] == (
        "127.0.0.1 is a non-public address 127.0.0.1 (loopback) — not allowed; an operator can "
        "allow 127.0.0.1:8797 with QUORUM_GENERATION_ALLOWED_HOSTS."
    )
    entry = token_client(builder).post("/api/v1/model-entries/", {"name": "ok"}, format="json")
    patched = token_client(builder).patch(
        f"/api/v1/model-entries/{entry.json()['id']}/",
        {"endpoint_base_url": "http://169.254.169.254/v1"},
        format="json",
    )
    assert patched.status_code == 400 and "link-local" in patched.json()["errors"][0]["reason"]


def test_the_webhook_page_shows_the_refusal_on_the_url_field(world, builder, client):
    client.force_login(builder)
    url = f"http://inside.test:{world.canary.port}/hook"
    response = client.post("/webhooks/", {"url": url, "event_types": ["answer.validated"]})
    page = response.content.decode()
    assert response.status_code == 400 and "non-public address 127.0.0.1 (loopback)" in page
    assert not WebhookEndpoint.objects.exists()
    assert_canary_untouched(world)


def test_public_hosts_pass_and_are_reached_under_their_own_name(world, builder, eager):
    """The checks must not refuse everything: a public name (any port), IDNA and a trailing dot."""
    stand_in = world.canary
    world.stand_in[(PUBLIC, stand_in.port)] = stand_in.port
    endpoint = services.endpoint_create(
        owner=builder,
        url=f"http://PUB.test.:{stand_in.port}/hook",
        event_types=["answer.validated"],
    )
    assert send_test(endpoint, eager).status == "succeeded"
    assert stand_in.hits == [("POST", "/hook", f"pub.test:{stand_in.port}")]
    world.names["xn--bcher-kva.pub.test"] = [PUBLIC]
    target = OutboundPolicy(setting="S").check("https://B\u00fccher.pub.test/v1?x=1#frag")
    assert (target.url, target.host, target.port) == (
        "https://xn--bcher-kva.pub.test/v1?x=1",
        "xn--bcher-kva.pub.test",
        443,
    )
    assert (target.address, target.public) == (PUBLIC, True)


# --- DNS rebinding: the name answers a public address when checked, loopback afterwards ----


def test_a_webhook_connects_to_the_address_it_checked(world, builder, eager, canaries):
    internal = world.canary  # what rebind.test:{port} would reach if resolved again
    public = canaries()
    world.names["rebind.test"] = [PUBLIC, PUBLIC, "127.0.0.1"]  # registration, send check, then…
    world.stand_in[(PUBLIC, internal.port)] = public.port
    endpoint = services.endpoint_create(
        owner=builder,
        url=f"http://rebind.test:{internal.port}/hook",
        event_types=["answer.validated"],
    )
    assert send_test(endpoint, eager).status == "succeeded"
    assert public.hits == [("POST", "/hook", f"rebind.test:{internal.port}")]
    assert_canary_untouched(world)
    assert world.lookups.count("rebind.test") == 2  # once per check, never by the client


def test_a_webhook_rechecks_the_name_before_each_attempt(world, builder, eager):
    world.names["flip.test"] = [PUBLIC, "127.0.0.1"]
    endpoint = services.endpoint_create(
        owner=builder,
        url=f"http://flip.test:{world.canary.port}/hook",
        event_types=["answer.validated"],
    )
    delivery = send_test(endpoint, eager)
    assert delivery.status == "failed" and "non-public address 127.0.0.1" in delivery.last_error
    assert_canary_untouched(world)


def test_a_generation_run_connects_to_the_address_it_checked(world, builder):
    internal = world.canary
    question = QuestionFactory(site=SiteFactory(slug="math"))
    world.names["gen-rebind.test"] = [PUBLIC, "127.0.0.1"]
    with FakeOpenAI(answer="Four.") as public:
        world.stand_in[(PUBLIC, internal.port)] = public.server.server_port
        entry = ModelEntryFactory(owner=builder, endpoint_model="m",
                                  endpoint_base_url=f"http://gen-rebind.test:{internal.port}/v1")  # fmt: skip
        job = GenerationJob.objects.create(model_entry=entry, created_by=builder, total=1,
                                           question_ids=[question.pk], concurrency=1)  # fmt: skip
        generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 1, 0)
    assert [r["path"] for r in public.requests] == ["/v1/chat/completions"]
    assert_canary_untouched(world)


def test_https_checks_the_certificate_of_the_name_while_connecting_to_the_checked_address(
    world, canaries, tmp_path
):
    """Pinning keeps the name for SNI, the Host header and certificate verification."""
    import ssl

    import httpx2

    from tests.support.fake_internet import make_certificates

    ca, cert, key = make_certificates(tmp_path, "secure.pub.test")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    secure = canaries(tls=server_side)
    world.names.update({"secure.pub.test": ["203.0.113.30"], "other.pub.test": ["203.0.113.31"]})
    world.stand_in.update({("203.0.113.30", secure.port): secure.port,
                           ("203.0.113.31", secure.port): secure.port})  # fmt: skip
    target = OutboundPolicy(setting="S").check(f"https://secure.pub.test:{secure.port}/x")
    with target.requests_session() as session:
        assert session.get(target.url, verify=ca, timeout=5).status_code == 200
    with target.httpx_client(verify=ssl.create_default_context(cafile=ca), timeout=5) as client:
        assert client.get(target.url).status_code == 200
    assert secure.hits == [("GET", "/x", f"secure.pub.test:{secure.port}")] * 2
    assert set(world.attempts) == {("203.0.113.30", secure.port)}
    wrong_name = OutboundPolicy(setting="S").check(f"https://other.pub.test:{secure.port}/x")
    with wrong_name.requests_session() as session, pytest.raises(requests.exceptions.SSLError):
        session.get(wrong_name.url, verify=ca, timeout=5)
    trusted = ssl.create_default_context(cafile=ca)
    with (
        wrong_name.httpx_client(verify=trusted) as client,
        pytest.raises(httpx2.ConnectError, match="certificate"),
    ):
        client.get(wrong_name.url)
    assert len(secure.hits) == 2


# --- redirects: an allow-listed canary answers 307 towards another loopback port ----------


@pytest.fixture
def redirecting(world, canaries, settings):
    forbidden = canaries()
    allowed = canaries(status=307, headers={"Location": forbidden.url("/stolen")})
    # The bare host admits ports 80 and 443 only (the check before this policy: every port).
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = [f"127.0.0.1:{allowed.port}", "127.0.0.1"]
    settings.QUORUM_GENERATION_ALLOWED_HOSTS = [f"127.0.0.1:{allowed.port}", "127.0.0.1"]
    return allowed, forbidden


def test_webhooks_do_not_follow_redirects(redirecting, builder, eager):
    allowed, forbidden = redirecting
    endpoint = services.endpoint_create(
        owner=builder, url=allowed.url("/hook"), event_types=["answer.validated"]
    )
    delivery = send_test(endpoint, eager)
    assert (delivery.status, delivery.response_status) == ("failed", 307)
    assert len(allowed.hits) == 1 and forbidden.hits == []


def test_generation_runs_do_not_follow_redirects(redirecting, builder):
    allowed, forbidden = redirecting
    question = QuestionFactory(site=SiteFactory(slug="math"))
    entry = ModelEntryFactory(
        owner=builder, endpoint_model="m", endpoint_base_url=allowed.url("/v1")
    )
    job = GenerationJob.objects.create(model_entry=entry, created_by=builder, total=1,
                                       question_ids=[question.pk], concurrency=1)  # fmt: skip
    generation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.COMPLETED, 0, 1)
    assert allowed.hits and forbidden.hits == []


def test_pinned_clients_refuse_other_hosts_even_when_told_to_follow(redirecting):
    allowed, forbidden = redirecting
    policy = OutboundPolicy.from_entries([f"127.0.0.1:{allowed.port}"], setting="S")
    target = policy.check(allowed.url("/start"))
    with target.requests_session() as session, pytest.raises(requests.ConnectionError):
        session.get(target.url, allow_redirects=True, timeout=5)
    with target.httpx_client(timeout=5) as client:
        import httpx2

        with pytest.raises(httpx2.ConnectError):
            client.get(target.url, follow_redirects=True)
        with pytest.raises(httpx2.ConnectError):  # another port of the same host
            client.get(forbidden.url("/direct"))
    assert len(allowed.hits) == 2 and forbidden.hits == []


# --- allow-lists of host and port ---------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "url", "admitted"),
    [
        (["127.0.0.1:8000"], "http://127.0.0.1:8000/v1", True),
        (["127.0.0.1:8000"], "http://127.0.0.1:8001/v1", False),
        (["127.0.0.1:8000"], "http://127.0.0.1/v1", False),
        (["127.0.0.1"], "http://127.0.0.1/v1", True),  # a bare host: 80 and 443 only
        (["127.0.0.1"], "https://127.0.0.1/v1", True),
        (["127.0.0.1"], "http://127.0.0.1:443/v1", True),
        (["127.0.0.1"], "http://127.0.0.1:8000/v1", False),
        (["127.0.0.1:*"], "http://127.0.0.1:8000/v1", True),
        (["localhost:8000"], "http://127.0.0.1:8000/v1", False),  # names and addresses differ
        (["Model.Internal.Test:8000"], "http://model.internal.test.:8000/v1", True),
        (["[::1]:8000"], "http://[::1]:8000/v1", True),
        (["[::1]:8000"], "http://[0:0::1]:8000/v1", True),
        (["[::1]:8000"], "http://[::ffff:127.0.0.1]:8000/v1", False),
    ],
)
def test_allow_lists_admit_a_host_on_its_listed_ports_only(world, entries, url, admitted):
    world.names["model.internal.test"] = ["10.1.2.3"]
    policy = OutboundPolicy.from_entries(entries, setting="QUORUM_GENERATION_ALLOWED_HOSTS")
    if admitted:
        assert policy.check(url).public is False
    else:
        with pytest.raises(URLRefused, match="QUORUM_GENERATION_ALLOWED_HOSTS"):
            policy.check(url)


@pytest.mark.parametrize(
    "entry", ["127.0.0.1:99999", "http://host", "a b", "host:port", "[::1", "h@x"]
)
def test_bad_allow_list_entries_are_refused_with_the_setting_named(entry):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import _allow_list

    with pytest.raises(URLRefused, match="QUORUM_WEBHOOK_ALLOWED_HOSTS: .* is not host"):
        OutboundPolicy.from_entries([entry], setting="QUORUM_WEBHOOK_ALLOWED_HOSTS")
    if (
        entry != "127.0.0.1:99999"
    ):  # the start-up check is a pattern; the port range is checked at use
        with pytest.raises(ImproperlyConfigured, match="QUORUM_WEBHOOK_ALLOWED_HOSTS"):
            _allow_list("QUORUM_WEBHOOK_ALLOWED_HOSTS", ["hooks.example.org:443", entry])


def _fragment(reason: str) -> str:
    import re

    return re.escape(reason)


def test_check_deploy_warns_about_bare_hosts_whose_meaning_changed(settings):
    from webhooks.checks import bare_hosts_in_allow_lists

    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal", "hooks.internal:8080"]
    settings.QUORUM_GENERATION_ALLOWED_HOSTS = ["gpu-box:8000"]
    [warning] = bare_hosts_in_allow_lists(None)
    assert warning.id == "quorum.W100" and "hooks.internal without a port" in warning.msg
    assert "QUORUM_WEBHOOK_ALLOWED_HOSTS" in warning.msg
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal:443"]
    assert bare_hosts_in_allow_lists(None) == []


# --- Stack Exchange harvests: the configured API, each request and redirect hop checked ----


def test_harvests_reach_the_configured_api_and_no_internal_host_it_redirects_to(
    world, canaries, settings
):
    from curation.services import se_client
    from curation.stackexchange import StackExchangeError

    forbidden = canaries()
    api = canaries(body=b'{"items": [], "has_more": false, "quota_remaining": 9}')
    settings.QUORUM_SE_API_URL = api.url("/2.3")  # an operator's choice: loopback is fine
    assert se_client().unanswered(site="math", page=1).quota_remaining == 9
    api.status, api.headers = 302, {"Location": forbidden.url("/latest/meta-data/")}
    with pytest.raises(StackExchangeError, match="unreachable"):
        se_client().unanswered(site="math", page=1)
    assert len(api.hits) == 2 and forbidden.hits == []


def test_a_redirect_from_the_configured_api_to_a_public_host_is_checked_and_pinned(
    world, canaries, settings
):
    from curation.services import se_client

    mirror = canaries(body=b'{"items": [], "has_more": false, "quota_remaining": 7}')
    world.names["mirror.pub.test"] = [PUBLIC]
    world.stand_in[(PUBLIC, mirror.port)] = mirror.port
    api = canaries(status=301, headers={"Location": f"http://mirror.pub.test:{mirror.port}/2.3/x"})
    settings.QUORUM_SE_API_URL = api.url("/2.3")
    assert se_client().unanswered(site="math", page=1).quota_remaining == 7
    assert mirror.hits == [("GET", mirror.hits[0][1], f"mirror.pub.test:{mirror.port}")]
