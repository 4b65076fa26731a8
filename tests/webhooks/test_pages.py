import pytest
from django.test import Client

from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def register(client, url, events=("answer.validated",)):
    return client.post("/webhooks/", {"url": url, "description": "CI", "event_types": list(events)})


def test_only_builders_and_curators_have_the_pages(
    builder, curator, expert, make_endpoint, receiver
):
    endpoint = make_endpoint(builder)
    anonymous = Client().get("/webhooks/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    assert logged_in(expert).get("/webhooks/").status_code == 404
    assert logged_in(UserFactory(username="nobody")).post("/webhooks/", {}).status_code == 404
    assert logged_in(curator).get("/webhooks/").status_code == 200
    assert (
        logged_in(curator).get(f"/webhooks/{endpoint.pk}/").status_code == 404
    )  # the page is the owner's


def test_a_builder_registers_an_endpoint_and_sees_the_secret_once(builder, receiver):
    client = logged_in(builder)
    created = register(client, receiver.url())
    endpoint = WebhookEndpoint.objects.get()
    html = created.content.decode()
    assert (
        created.status_code == 201 and endpoint.secret in html and "will not be shown again" in html
    )
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page and endpoint.secret_hint in page
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate-secret/").content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated and endpoint.previous_secret not in rotated
    assert receiver.url() in client.get("/webhooks/").content.decode()


def test_refused_urls_and_missing_events_are_explained(builder, settings):
    settings.QUORUM_WEBHOOK_ALLOWED_HOSTS = []
    client = logged_in(builder)
    response = register(client, "http://127.0.0.1:9/hook")
    assert response.status_code == 400 and "non-public address" in response.content.decode()
    response = register(client, "https://example.org/hook", events=())
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()


def test_builders_see_and_touch_only_their_own_endpoints(
    builder, rival, make_endpoint, receiver, sending
):
    mine = make_endpoint(builder, path="/mine")
    theirs = make_endpoint(rival, path="/theirs")
    with sending():
        logged_in(rival).post(f"/webhooks/{theirs.pk}/test/")
    delivery = WebhookDelivery.objects.get(endpoint=theirs)
    client = logged_in(builder)
    listing = client.get("/webhooks/").content.decode()
    assert receiver.url("/mine") in listing and receiver.url("/theirs") not in listing
    for path in (f"/webhooks/{theirs.pk}/", f"/webhooks/deliveries/{delivery.pk}/payload/"):
        assert client.get(path).status_code == 404
    for path in (
        f"/webhooks/{theirs.pk}/test/",
        f"/webhooks/{theirs.pk}/rotate-secret/",
        f"/webhooks/{theirs.pk}/delete/",
        f"/webhooks/deliveries/{delivery.pk}/redeliver/",
    ):
        assert client.post(path).status_code == 404
    assert client.get(f"/webhooks/{mine.pk}/").status_code == 200
    assert (
        WebhookEndpoint.objects.filter(pk=theirs.pk).exists()
        and WebhookDelivery.objects.count() == 1
    )


def test_send_test_event_and_redeliver_from_the_page(builder, make_endpoint, receiver, sending):
    endpoint = make_endpoint(builder)
    client = logged_in(builder)
    with sending():
        response = client.post(f"/webhooks/{endpoint.pk}/test/", headers={"HX-Request": "true"})
    html = response.content.decode()
    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="deliveries"')
    assert "Test event queued." in html and delivery.message_id in html and "Pending" in html
    assert 'hx-trigger="every 5s"' in html  # the log refreshes while a message is on its way
    refreshed = client.get(
        f"/webhooks/{endpoint.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert "Succeeded" in refreshed and "every 5s" not in refreshed and "<html" not in refreshed
    with sending():
        response = client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302 and response.url == f"/webhooks/{endpoint.pk}/"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2
    payload = client.get(f"/webhooks/deliveries/{delivery.pk}/payload/").content.decode()
    assert "webhook.test" in payload and "your endpoint works" in payload


def test_edit_disable_and_delete(builder, make_endpoint, receiver):
    endpoint = make_endpoint(builder)
    client = logged_in(builder)
    response = client.post(
        f"/webhooks/{endpoint.pk}/",
        {"url": endpoint.url, "description": "prod", "event_types": ["question.solved"]},
    )
    endpoint.refresh_from_db()
    assert response.status_code == 302
    assert (endpoint.description, endpoint.event_types, endpoint.is_active) == (
        "prod",
        ["question.solved"],
        False,
    )
    assert "disabled" in client.get(f"/webhooks/{endpoint.pk}/").content.decode().lower()
    response = client.post(f"/webhooks/{endpoint.pk}/delete/", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/webhooks/" and not WebhookEndpoint.objects.exists()


def test_curators_redeliver_anyones_messages_in_the_admin_which_never_shows_secrets(
    builder, curator, make_endpoint, receiver, sending
):
    endpoint = make_endpoint(builder)
    with sending():
        logged_in(builder).post(f"/webhooks/{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    admin = logged_in(curator)
    change = admin.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert change.status_code == 200 and endpoint.url in change.content.decode()
    assert (
        endpoint.secret not in change.content.decode()
        and endpoint.secret_hint in change.content.decode()
    )
    assert delivery.message_id in admin.get("/admin/webhooks/webhookdelivery/").content.decode()
    with sending():
        response = admin.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    assert WebhookDelivery.objects.get(redelivery_of=delivery).requested_by == curator
    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2
