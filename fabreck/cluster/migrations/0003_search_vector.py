"""PostgreSQL only: a weighted full-text vector generated from the normalised search
columns, with a GIN index. SQLite searches the same columns with LIKE (selectors.py)."""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("cluster", "0002_reference_data")]

    operations = [
        RunSQLOnPostgres(
            sql="""
            ALTER TABLE cluster_organisation ADD COLUMN search_vector tsvector
            GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', search_name), 'A')
                || setweight(to_tsvector('simple', search_competences), 'B')
                || setweight(to_tsvector('simple', search_keywords), 'C')
                || setweight(to_tsvector('simple', search_description), 'D')
            ) STORED;
            CREATE INDEX cluster_org_search_vector_gin
                ON cluster_organisation USING gin (search_vector);
            """,
            reverse_sql="""
            DROP INDEX IF EXISTS cluster_org_search_vector_gin;
            ALTER TABLE cluster_organisation DROP COLUMN IF EXISTS search_vector;
            """,
        )
    ]
