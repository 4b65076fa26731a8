from django.db import migrations

MODELS = {"webhookendpoint": "webhook endpoint", "webhookdelivery": "webhook delivery"}


def grant_curators(apps, schema_editor):
    """Curators see deliveries and redeliver in the admin. New curators get this app's
    permissions with the group (accounts.services.CURATED_APPS); the existing group gets them
    here (Django would create the permission rows only after migrating; these are the same rows)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="curators")
    for model, verbose_name in MODELS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="webhooks", model=model)
        for action in ("add", "change", "delete", "view"):
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {verbose_name}"},
            )
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("accounts", "0002_curators_group"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_curators, migrations.RunPython.noop)]
