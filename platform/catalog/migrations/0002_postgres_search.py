"""PostgreSQL only: a trigger keeps Question.search_vector current (title A, tags B,
category C, body D) and GIN indexes serve full-text search and tag containment.
On other databases this migration does nothing and search falls back to LIKE."""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION catalog_question_search_vector() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(
          (SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(NEW.tags) AS t), '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.category, '')), 'C') ||
        setweight(to_tsvector('english', left(coalesce(NEW.body, ''), 100000)), 'D');
      RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER catalog_question_search_vector_update
    BEFORE INSERT OR UPDATE OF title, body, tags, category ON catalog_question
    FOR EACH ROW EXECUTE FUNCTION catalog_question_search_vector();
    """,
    "CREATE INDEX catalog_question_search_gin ON catalog_question USING gin (search_vector);",
    "CREATE INDEX catalog_question_tags_gin ON catalog_question USING gin (tags jsonb_path_ops);",
    "UPDATE catalog_question SET title = title;",
]
BACKWARD = [
    "DROP INDEX IF EXISTS catalog_question_tags_gin;",
    "DROP INDEX IF EXISTS catalog_question_search_gin;",
    "DROP TRIGGER IF EXISTS catalog_question_search_vector_update ON catalog_question;",
    "DROP FUNCTION IF EXISTS catalog_question_search_vector();",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
