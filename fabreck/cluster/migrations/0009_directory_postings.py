"""PostgreSQL only: the public directory's postings, for searches that count facets.

A search counts, for every option of five facets, the organisations that match the words
and every other facet chosen. Over the search table (migration 0007) that meant reading
and grouping thousands of wide rows for a common word ("design" matches more than half
of the directory). Here every key an organisation is found by holds the sorted list of
their ids, the way a search engine keeps its index:

    ('w', 'design')  the organisations whose document has the word "design"
    ('s', '4')       ... in sector 4;  ('p', '12') with competence 12;  ('c', '54') in
    ('z', '2-9')     commune 54; of size band "2-9"; ('k', 'startup') of kind startup
    ('a', '')        every organisation of the directory

A search is then set algebra on a few hundred arrays, done in C by the `intarray`
extension (`&` intersects, `|` unites, `icount` counts): the words' postings give the
matches, each chosen facet intersects them, and each option's count is one intersection
(selectors.DIRECTORY_SQL).

Statement-level triggers on cluster_directory_entry keep the postings in step: for the
entries a statement changed, the keys they lost and gained. Every changed key is written
by one INSERT ... ON CONFLICT in key order, so concurrent writers lock shared keys in the
same order. A key left with no organisation stays, empty, until the next rebuild. A bulk
load (services.directory_search_table_deferred) rebuilds them from the entries at its end.

The document's GIN index is dropped: no search reads it any more. Two indexes give the
first page in name or newest order when browsing without words, and one finds the
incubated startups for the directory's filter.
"""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres

FORWARD = """
CREATE EXTENSION IF NOT EXISTS intarray;

-- The union of many postings (one word prefix matches several words).
CREATE AGGREGATE cluster_int_union(int[]) (sfunc = _int_union, stype = int[], initcond = '{{}}');

CREATE TABLE cluster_directory_posting (
    facet "char" NOT NULL,
    -- Byte order, so that a prefix (value LIKE 'design%') is a range of the primary key.
    value text COLLATE "C" NOT NULL,
    ids int[] NOT NULL,  -- sorted, distinct organisation ids (int: intarray's type)
    PRIMARY KEY (facet, value)
);

-- The keys that find one entry.
CREATE FUNCTION cluster_directory_keys(
    commune_id bigint, size_band text, kind text, sector_ids bigint[],
    competence_ids bigint[], document tsvector
) RETURNS TABLE (facet "char", value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'a'::"char", ''::text
    UNION ALL SELECT 'c', commune_id::text
    UNION ALL SELECT 'z', size_band
    UNION ALL SELECT 'k', kind
    UNION ALL SELECT 's', unnest(sector_ids)::text
    UNION ALL SELECT 'p', unnest(competence_ids)::text
    UNION ALL SELECT 'w', unnest(tsvector_to_array(document))
$$;

-- Every posting again, from the entries.
CREATE FUNCTION cluster_directory_postings_rebuild() RETURNS void
LANGUAGE sql AS $$
    TRUNCATE cluster_directory_posting;
    INSERT INTO cluster_directory_posting (facet, value, ids)
    SELECT k.facet, k.value, sort(array_agg(e.organisation_id::int))
    FROM cluster_directory_entry e,
         cluster_directory_keys(e.commune_id, e.size_band, e.kind, e.sector_ids,
                                e.competence_ids, e.document) k
    GROUP BY k.facet, k.value;
$$;

{trigger_function}

CREATE TRIGGER cluster_directory_posting_insert AFTER INSERT ON cluster_directory_entry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_entries();
CREATE TRIGGER cluster_directory_posting_update AFTER UPDATE ON cluster_directory_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_entries();
CREATE TRIGGER cluster_directory_posting_delete AFTER DELETE ON cluster_directory_entry
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_entries();
CREATE TRIGGER cluster_directory_posting_truncate AFTER TRUNCATE ON cluster_directory_entry
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_entries();

-- A bulk rebuild of the entries rebuilds the postings once, after them.
CREATE OR REPLACE FUNCTION cluster_directory_rebuild() RETURNS void
LANGUAGE sql AS $$
    SELECT set_config('fabreck.directory_postings', 'deferred', true);
    DELETE FROM cluster_directory_entry e
    WHERE NOT EXISTS (SELECT 1 FROM cluster_organisation o WHERE o.id = e.organisation_id);
    SELECT cluster_directory_refresh(ARRAY(SELECT id FROM cluster_organisation));
    SELECT set_config('fabreck.directory_postings', 'immediate', true);
    SELECT cluster_directory_postings_rebuild();
$$;

DROP INDEX cluster_directory_entry_document;
-- Browsing without words reads the first page in name (or newest) order.
CREATE INDEX cluster_directory_entry_by_name ON cluster_directory_entry (name, organisation_id);
CREATE INDEX cluster_directory_entry_by_newest
    ON cluster_directory_entry (member_since DESC NULLS LAST, name, organisation_id);
-- The directory's filter on incubated startups (a few hundred of twenty thousand).
CREATE INDEX cluster_org_incubated ON cluster_organisation (id) WHERE incubated;
"""

# The keys an entry lost and gained in one statement, written in key order. `{old}` and
# `{new}` are the statement's transition tables, or an empty relation of their shape.
APPLY = """
    WITH gone AS (
        SELECT k.facet, k.value, o.organisation_id::int AS id
        FROM {old} o,
             cluster_directory_keys(o.commune_id, o.size_band, o.kind, o.sector_ids,
                                    o.competence_ids, o.document) k
    ), came AS (
        SELECT k.facet, k.value, n.organisation_id::int AS id
        FROM {new} n,
             cluster_directory_keys(n.commune_id, n.size_band, n.kind, n.sector_ids,
                                    n.competence_ids, n.document) k
    ), changes AS (
        SELECT facet, value,
               sort(coalesce(array_agg(id) FILTER (WHERE added), '{{}}')) AS add_ids,
               sort(coalesce(array_agg(id) FILTER (WHERE NOT added), '{{}}')) AS remove_ids
        FROM (
            (SELECT facet, value, id, true AS added FROM came
             EXCEPT SELECT facet, value, id, true FROM gone)
            UNION ALL
            (SELECT facet, value, id, false AS added FROM gone
             EXCEPT SELECT facet, value, id, false FROM came)
        ) d
        GROUP BY facet, value
    )
    INSERT INTO cluster_directory_posting AS p (facet, value, ids)
    SELECT facet, value, add_ids FROM changes ORDER BY facet, value
    ON CONFLICT (facet, value) DO UPDATE SET ids = (
        p.ids - (SELECT c.remove_ids FROM changes c
                 WHERE c.facet = excluded.facet AND c.value = excluded.value)
    ) | excluded.ids;"""
NOTHING = "(SELECT * FROM cluster_directory_entry WHERE false)"

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION cluster_directory_on_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.directory_postings', true) = 'deferred' THEN
        RETURN NULL;  -- cluster_directory_rebuild rebuilds them at its end
    ELSIF TG_OP = 'TRUNCATE' THEN
        TRUNCATE cluster_directory_posting;
    ELSIF TG_OP = 'INSERT' THEN
        {inserted}
    ELSIF TG_OP = 'DELETE' THEN
        {deleted}
    ELSE
        {updated}
    END IF;
    RETURN NULL;
END $$;
"""


def trigger_function(apply: str = APPLY) -> str:
    """The trigger function, applying a statement's changes with `apply` (the concurrency
    tests swap in a variant to show what the upsert guards against)."""
    return TRIGGER_FUNCTION.format(
        inserted=apply.format(old=NOTHING, new="new_rows"),
        deleted=apply.format(old="old_rows", new=NOTHING),
        updated=apply.format(old="old_rows", new="new_rows"),
    )


FORWARD = FORWARD.format(trigger_function=trigger_function())

BACKWARD = """
DROP INDEX IF EXISTS cluster_org_incubated;
DROP INDEX IF EXISTS cluster_directory_entry_by_name;
DROP INDEX IF EXISTS cluster_directory_entry_by_newest;
CREATE INDEX IF NOT EXISTS cluster_directory_entry_document
    ON cluster_directory_entry USING gin (document);
CREATE OR REPLACE FUNCTION cluster_directory_rebuild() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM cluster_directory_entry e
    WHERE NOT EXISTS (SELECT 1 FROM cluster_organisation o WHERE o.id = e.organisation_id);
    SELECT cluster_directory_refresh(ARRAY(SELECT id FROM cluster_organisation));
$$;
DROP TRIGGER IF EXISTS cluster_directory_posting_insert ON cluster_directory_entry;
DROP TRIGGER IF EXISTS cluster_directory_posting_update ON cluster_directory_entry;
DROP TRIGGER IF EXISTS cluster_directory_posting_delete ON cluster_directory_entry;
DROP TRIGGER IF EXISTS cluster_directory_posting_truncate ON cluster_directory_entry;
DROP FUNCTION IF EXISTS cluster_directory_on_entries();
DROP FUNCTION IF EXISTS cluster_directory_postings_rebuild();
DROP FUNCTION IF EXISTS cluster_directory_keys(bigint, text, text, bigint[], bigint[], tsvector);
DROP TABLE IF EXISTS cluster_directory_posting;
DROP AGGREGATE IF EXISTS cluster_int_union(int[]);
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT cluster_directory_postings_rebuild()")


class Migration(migrations.Migration):
    dependencies = [("cluster", "0008_organisation_incubated")]

    operations = [
        RunSQLOnPostgres(sql=FORWARD, reverse_sql=BACKWARD),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
