import re

from django.db import migrations

# "HTTP 404: <body>", "HTTP 307 (redirects are not followed: …): <body>", "gave up after 8
# attempts; last: HTTP 500: <body>" → the same without ": <body>".
REPLY_BODY = re.compile(r"(HTTP \d{3}(?: \(redirects are not followed: register the final URL\))?): .*", re.S)


def forget_reply_bodies(apps, schema_editor):
    """Errors stored before the outbound policy kept the start of every receiver's reply, an
    internal host's included; which host was internal is not known any more, so none is kept."""
    Delivery = apps.get_model("webhooks", "WebhookDelivery")
    rows = Delivery.objects.filter(last_error__regex=r"HTTP [0-9]{3}.*: ").only("pk", "last_error")
    changed = []
    for row in rows.iterator(chunk_size=2000):
        cleaned = REPLY_BODY.sub(r"\1", row.last_error)
        if cleaned != row.last_error:
            row.last_error = cleaned
            changed.append(row)
        if len(changed) >= 2000:
            Delivery.objects.bulk_update(changed, ["last_error"])
            changed = []
    Delivery.objects.bulk_update(changed, ["last_error"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_curators_manage_webhooks")]

    operations = [migrations.RunPython(forget_reply_bodies, migrations.RunPython.noop)]
