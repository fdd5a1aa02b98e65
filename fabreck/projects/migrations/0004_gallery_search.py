"""The gallery's search and filters, fast over tens of thousands of documented projects.

PostgreSQL only: a weighted full-text vector generated from `search_text` (normalised by
the services with fabreck.core.text.search_normalize, so "simple" needs no unaccent), with
a GIN index. The services write `search_text` as three parts joined by " | " (a character
the normaliser never leaves): the title (weight A); the summary, organisation, machines
and materials (B); the steps (C). SQLite searches `search_text` with LIKE (selectors.py).

Both databases: the indexes the gallery's filters and order need — the published
documentations newest first, per site, sector and licence (partial indexes: drafts are
never listed), and the machine and material links read from the machine or material
side (index-only semi-joins).

No model field changes: the vector is not a Django field (read through an expression in
selectors.py), and the indexes live outside the models' state.
"""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres

VECTOR = """
ALTER TABLE projects_documentation ADD COLUMN search_vector tsvector
GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', split_part(search_text, ' | ', 1)), 'A')
    || setweight(to_tsvector('simple', split_part(search_text, ' | ', 2)), 'B')
    || setweight(to_tsvector('simple', split_part(search_text, ' | ', 3)), 'C')
) STORED;
CREATE INDEX projects_doc_search_vector_gin
    ON projects_documentation USING gin (search_vector);
"""

VECTOR_BACKWARD = """
DROP INDEX IF EXISTS projects_doc_search_vector_gin;
ALTER TABLE projects_documentation DROP COLUMN IF EXISTS search_vector;
"""

# Plain SQL both databases understand (SQLite has partial indexes too).
INDEXES = (
    (
        "projects_doc_published_newest",
        "projects_documentation (published_at DESC, id DESC) WHERE status = 'published'",
    ),
    (
        "projects_doc_published_site",
        "projects_documentation (site_id, published_at DESC) WHERE status = 'published'",
    ),
    (
        "projects_doc_published_sector",
        "projects_documentation (sector_id, published_at DESC) WHERE status = 'published'",
    ),
    (
        "projects_doc_published_licence",
        "projects_documentation (licence, published_at DESC) WHERE status = 'published'",
    ),
    (
        "projects_doc_machines_by_machine",
        "projects_documentation_machines (resource_id, documentation_id)",
    ),
    (
        "projects_doc_materials_by_material",
        "projects_documentation_materials (material_id, documentation_id)",
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("cluster", "0003_search_vector"),
    ]

    operations = [
        RunSQLOnPostgres(sql=VECTOR, reverse_sql=VECTOR_BACKWARD),
        *(
            migrations.RunSQL(
                sql=f"CREATE INDEX {name} ON {definition}",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, definition in INDEXES
        ),
    ]
