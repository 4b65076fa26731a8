from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        from catalog import search_sqlite

        checks.register(check_sqlite_fts5)
        post_migrate.connect(search_sqlite.restore_triggers, sender=self)


def check_sqlite_fts5(app_configs=None, **kwargs):
    """At start-up: on SQLite, search needs FTS5 in this Python's sqlite3."""
    return fts5_errors({db["ENGINE"] for db in settings.DATABASES.values()})


def fts5_errors(engines: set[str]) -> list[checks.CheckMessage]:
    from catalog import search_sqlite

    if "django.db.backends.sqlite3" not in engines or search_sqlite.fts5_available():
        return []
    return [checks.Error(search_sqlite.NO_FTS5, id="catalog.E001")]
