"""The gallery's search and filters, fast over tens of thousands of documented projects.

PostgreSQL only: a narrow search table, `projects_gallery_entry`, kept by triggers (as the
cluster's directory is, cluster migration 0007). One row per documentation the public may
see — published, not confidential, and whose project (if any) is not confidential now.

The services write `search_text`, normalised with fabreck.core.text.search_normalize (so
the "simple" configuration needs no unaccent), as four parts joined by " | " (a character
the normaliser never leaves), from the heaviest weight to the lightest: the title (A); the
summary and organisation (B); the machines' and materials' names in every language (C);
the steps (D). An entry holds:

- `title_words` and `summary_words`: the vectors of weights A and B, small and kept in the
  row. The matches are ranked by the heaviest weight a word of the query is found with —
  title, then summary, then the rest — and newest first within a weight: the ranking reads
  these two small vectors only, never the whole document (ts_rank over every match of a
  common word would read each match's full vector, which costs more than the whole search
  may take);
- `document`: every word of the four parts, plus one token per filter value —
  `zzsite<id>`, `zzsector<id>`, `zzlicence<licence>`, `zzmachine<id>` and
  `zzcategory<id>` (its machine category), `zzmaterial<id>` — so that a search with its
  filters is one GIN look-up. Stripped (no positions or weights:
  the look-up needs neither, and a narrower row costs less to read);
- `published_at`, for the order.

SQLite searches `search_text` with LIKE and filters the documentation's own columns
(selectors.py). Both databases get the btree indexes the ORM's filters use.
"""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres

FORWARD = """
CREATE TABLE projects_gallery_entry (
    documentation_id bigint PRIMARY KEY,
    published_at timestamptz NOT NULL,
    title_words tsvector NOT NULL,
    summary_words tsvector NOT NULL,
    document tsvector NOT NULL
);
CREATE INDEX projects_gallery_entry_document ON projects_gallery_entry USING gin (document);
-- No statistics on the document: with them, a common word makes the planner read every
-- row and its document, which costs far more than it assumes; without them it takes the
-- index, which answers exactly (the queries ask for no weight).
ALTER TABLE projects_gallery_entry ALTER COLUMN document SET STATISTICS 0;
CREATE INDEX projects_gallery_entry_newest
    ON projects_gallery_entry (published_at DESC, documentation_id DESC);

-- The entries of `ids` as the documentations are now: written, rewritten or removed.
CREATE FUNCTION projects_gallery_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM projects_gallery_entry e
    WHERE e.documentation_id = ANY(ids)
      AND NOT EXISTS (
          SELECT 1 FROM projects_documentation d
          WHERE d.id = e.documentation_id AND d.status = 'published' AND NOT d.confidential
            AND d.published_at IS NOT NULL
            AND NOT EXISTS (
                SELECT 1 FROM projects_project p WHERE p.id = d.project_id AND p.confidential)
      );
    INSERT INTO projects_gallery_entry AS e
        (documentation_id, published_at, title_words, summary_words, document)
    SELECT
        d.id, d.published_at,
        strip(to_tsvector('simple', split_part(d.search_text, ' | ', 1))),
        strip(to_tsvector('simple', split_part(d.search_text, ' | ', 2))),
        strip(to_tsvector('simple', concat_ws(' ',
            d.search_text,
            'zzsite' || coalesce(d.site_id, 0),
            'zzsector' || coalesce(d.sector_id, 0),
            'zzlicence' || replace(d.licence, '-', ''),
            (SELECT string_agg(
                 'zzmachine' || m.resource_id || ' zzcategory' || coalesce(r.category_id, 0), ' ')
             FROM projects_documentation_machines m
             JOIN fablab_resource r ON r.id = m.resource_id
             WHERE m.documentation_id = d.id),
            (SELECT string_agg('zzmaterial' || m.material_id, ' ')
             FROM projects_documentation_materials m WHERE m.documentation_id = d.id))))
    FROM projects_documentation d
    WHERE d.id = ANY(ids) AND d.status = 'published' AND NOT d.confidential
      AND d.published_at IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM projects_project p WHERE p.id = d.project_id AND p.confidential)
    ON CONFLICT (documentation_id) DO UPDATE SET
        published_at = EXCLUDED.published_at,
        title_words = EXCLUDED.title_words,
        summary_words = EXCLUDED.summary_words,
        document = EXCLUDED.document
    WHERE (e.published_at, e.title_words, e.summary_words, e.document)
        IS DISTINCT FROM (EXCLUDED.published_at, EXCLUDED.title_words,
                          EXCLUDED.summary_words, EXCLUDED.document);
$$;

-- Every entry again (after a bulk load that deferred the triggers).
CREATE FUNCTION projects_gallery_rebuild() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM projects_gallery_entry e
    WHERE NOT EXISTS (SELECT 1 FROM projects_documentation d WHERE d.id = e.documentation_id);
    SELECT projects_gallery_refresh(ARRAY(SELECT id FROM projects_documentation));
$$;

CREATE FUNCTION projects_gallery_on_documentations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.gallery_refresh', true) = 'deferred' THEN
        RETURN NULL;  -- a bulk load rebuilds the table once at its end
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM projects_gallery_entry
        WHERE documentation_id IN (SELECT id FROM old_rows);
    ELSIF TG_OP = 'TRUNCATE' THEN
        TRUNCATE projects_gallery_entry;
    ELSE
        PERFORM projects_gallery_refresh(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_gallery_documentation_insert AFTER INSERT ON projects_documentation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_documentations();
CREATE TRIGGER projects_gallery_documentation_update AFTER UPDATE ON projects_documentation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_documentations();
CREATE TRIGGER projects_gallery_documentation_delete AFTER DELETE ON projects_documentation
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_documentations();
CREATE TRIGGER projects_gallery_documentation_truncate
    AFTER TRUNCATE ON projects_documentation
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_documentations();

-- Machine and material links (the two many-to-many tables).
CREATE FUNCTION projects_gallery_on_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.gallery_refresh', true) = 'deferred' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM projects_gallery_refresh(ARRAY(SELECT DISTINCT documentation_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM projects_gallery_refresh(ARRAY(SELECT DISTINCT documentation_id FROM old_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM projects_gallery_refresh(ARRAY(
            SELECT documentation_id FROM old_rows UNION SELECT documentation_id FROM new_rows));
    ELSE  -- TRUNCATE
        PERFORM projects_gallery_refresh(ARRAY(SELECT documentation_id
                                               FROM projects_gallery_entry));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_gallery_machines_insert AFTER INSERT ON projects_documentation_machines
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_machines_update AFTER UPDATE ON projects_documentation_machines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_machines_delete AFTER DELETE ON projects_documentation_machines
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_machines_truncate
    AFTER TRUNCATE ON projects_documentation_machines
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_materials_insert
    AFTER INSERT ON projects_documentation_materials
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_materials_update
    AFTER UPDATE ON projects_documentation_materials
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_materials_delete
    AFTER DELETE ON projects_documentation_materials
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();
CREATE TRIGGER projects_gallery_materials_truncate
    AFTER TRUNCATE ON projects_documentation_materials
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_links();

-- A project that becomes confidential takes its documentation out of the gallery at once,
-- whichever service (or hand) changed it.
CREATE FUNCTION projects_gallery_on_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.gallery_refresh', true) = 'deferred' THEN
        RETURN NULL;
    END IF;
    PERFORM projects_gallery_refresh(ARRAY(
        SELECT d.id FROM projects_documentation d
        JOIN new_rows n ON n.id = d.project_id
        JOIN old_rows o ON o.id = n.id
        WHERE n.confidential IS DISTINCT FROM o.confidential));
    RETURN NULL;
END $$;

CREATE TRIGGER projects_gallery_project_update AFTER UPDATE ON projects_project
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_projects();

-- A machine moved to another category: the documentations that used it follow.
CREATE FUNCTION projects_gallery_on_resources() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.gallery_refresh', true) = 'deferred' THEN
        RETURN NULL;
    END IF;
    PERFORM projects_gallery_refresh(ARRAY(
        SELECT DISTINCT m.documentation_id FROM projects_documentation_machines m
        JOIN new_rows n ON n.id = m.resource_id
        JOIN old_rows o ON o.id = n.id
        WHERE n.category_id IS DISTINCT FROM o.category_id));
    RETURN NULL;
END $$;

CREATE TRIGGER projects_gallery_resource_update AFTER UPDATE ON fablab_resource
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION projects_gallery_on_resources();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS projects_gallery_resource_update ON fablab_resource;
DROP FUNCTION IF EXISTS projects_gallery_on_resources();
DROP TRIGGER IF EXISTS projects_gallery_project_update ON projects_project;
DROP FUNCTION IF EXISTS projects_gallery_on_projects();
DROP TRIGGER IF EXISTS projects_gallery_materials_insert ON projects_documentation_materials;
DROP TRIGGER IF EXISTS projects_gallery_materials_update ON projects_documentation_materials;
DROP TRIGGER IF EXISTS projects_gallery_materials_delete ON projects_documentation_materials;
DROP TRIGGER IF EXISTS projects_gallery_materials_truncate
    ON projects_documentation_materials;
DROP TRIGGER IF EXISTS projects_gallery_machines_insert ON projects_documentation_machines;
DROP TRIGGER IF EXISTS projects_gallery_machines_update ON projects_documentation_machines;
DROP TRIGGER IF EXISTS projects_gallery_machines_delete ON projects_documentation_machines;
DROP TRIGGER IF EXISTS projects_gallery_machines_truncate ON projects_documentation_machines;
DROP FUNCTION IF EXISTS projects_gallery_on_links();
DROP TRIGGER IF EXISTS projects_gallery_documentation_insert ON projects_documentation;
DROP TRIGGER IF EXISTS projects_gallery_documentation_update ON projects_documentation;
DROP TRIGGER IF EXISTS projects_gallery_documentation_delete ON projects_documentation;
DROP TRIGGER IF EXISTS projects_gallery_documentation_truncate ON projects_documentation;
DROP FUNCTION IF EXISTS projects_gallery_on_documentations();
DROP FUNCTION IF EXISTS projects_gallery_rebuild();
DROP FUNCTION IF EXISTS projects_gallery_refresh(bigint[]);
DROP TABLE IF EXISTS projects_gallery_entry;
"""

# Plain SQL both databases understand (SQLite has partial indexes too): what the ORM's
# filters and order use (SQLite; on PostgreSQL the author's pages and the fallbacks).
INDEXES = (
    (
        "projects_doc_published_newest",
        "projects_documentation (published_at DESC, id DESC) WHERE status = 'published'",
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


def fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT projects_gallery_rebuild()")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("cluster", "0003_search_vector"),
    ]

    operations = [
        RunSQLOnPostgres(sql=FORWARD, reverse_sql=BACKWARD),
        *(
            migrations.RunSQL(
                sql=f"CREATE INDEX {name} ON {definition}",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, definition in INDEXES
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
