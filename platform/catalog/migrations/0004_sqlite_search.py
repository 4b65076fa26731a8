"""SQLite only: an FTS5 index of the questions, kept by triggers, for the search box's syntax
(see catalog/search_sqlite.py). On PostgreSQL this migration does nothing (see 0002)."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from catalog import search_sqlite

    with schema_editor.connection.cursor() as cursor:
        search_sqlite.install(cursor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from catalog import search_sqlite

    with schema_editor.connection.cursor() as cursor:
        search_sqlite.uninstall(cursor)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_site_blind_model_site_blind_validator")]

    operations = [migrations.RunPython(forward, backward)]
