"""PostgreSQL only: a narrow search table for the public directory, kept by triggers.

`cluster_directory_entry` holds one row per organisation of the public directory (member
and consenting, as selectors.directory_public says): what the facets count (commune, size,
kind, sector and competence ids), what pages are sorted by (name, member since) and one
unweighted `document` with every word that
finds the organisation — its normalised name, keywords and description, and the words of
its active competences' labels and synonyms in every language. A query word then reaches
an organisation through one GIN look-up (`design:*`), instead of a prefix match plus the
dozens of competence tokens of the taxonomy expansion evaluated row by row over the wide
organisation table.

The competence words come from Python (one normaliser: fabreck.core.text.search_normalize)
into `cluster_competence_words` (services.competence_search_words_sync, on every save or
delete of a competence and after the reference data is loaded). Statement-level triggers
keep the entries in step with every write, bulk ones included: organisations, their
sector and competence links, and the competence words. A bulk load may defer them and
rebuild the table once at its end (services.directory_search_table_deferred). Ranking still reads
cluster_organisation.search_vector (migration 0003), for the page's rows only.

Also an index (competence_id, organisation_id) on the competence links, so that
matchmaking ranks candidates from the index alone.
"""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres

FORWARD = """
CREATE TABLE cluster_competence_words (
    competence_id bigint PRIMARY KEY,
    words text NOT NULL
);

CREATE TABLE cluster_directory_entry (
    organisation_id bigint PRIMARY KEY,
    commune_id bigint NOT NULL,
    size_band varchar(8) NOT NULL,
    kind varchar(20) NOT NULL,
    name varchar(200) NOT NULL,
    member_since date,
    sector_ids bigint[] NOT NULL,
    competence_ids bigint[] NOT NULL,
    document tsvector NOT NULL
);
CREATE INDEX cluster_directory_entry_document ON cluster_directory_entry USING gin (document);
-- No statistics on the document. With them, a common word ("design" is in most profiles)
-- makes the planner read the whole table and evaluate every document, which costs far
-- more than it assumes; without them it takes the index, which answers exactly here
-- (no weights in the query, so nothing to recheck).
ALTER TABLE cluster_directory_entry ALTER COLUMN document SET STATISTICS 0;

CREATE INDEX cluster_org_competences_by_competence
    ON cluster_organisation_competences (competence_id, organisation_id);

-- The entries of `ids` as the organisations are now: written, rewritten or removed.
CREATE FUNCTION cluster_directory_refresh(ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM cluster_directory_entry e
    WHERE e.organisation_id = ANY(ids)
      AND NOT EXISTS (
          SELECT 1 FROM cluster_organisation o
          WHERE o.id = e.organisation_id AND o.status = 'member' AND o.directory_consent
      );
    INSERT INTO cluster_directory_entry AS e
        (organisation_id, commune_id, size_band, kind, name, member_since,
         sector_ids, competence_ids, document)
    SELECT
        o.id, o.commune_id, o.size_band, o.kind, o.name, o.member_since,
        ARRAY(SELECT s.sector_id FROM cluster_organisation_sectors s
              WHERE s.organisation_id = o.id ORDER BY 1),
        ARRAY(SELECT c.competence_id FROM cluster_organisation_competences c
              WHERE c.organisation_id = o.id ORDER BY 1),
        strip(to_tsvector('simple', concat_ws(' ',
            o.search_name, o.search_keywords, o.search_description,
            (SELECT string_agg(w.words, ' ')
             FROM cluster_organisation_competences c
             JOIN cluster_competence_words w ON w.competence_id = c.competence_id
             WHERE c.organisation_id = o.id))))
    FROM cluster_organisation o
    WHERE o.id = ANY(ids) AND o.status = 'member' AND o.directory_consent
    ON CONFLICT (organisation_id) DO UPDATE SET
        commune_id = EXCLUDED.commune_id,
        size_band = EXCLUDED.size_band,
        kind = EXCLUDED.kind,
        name = EXCLUDED.name,
        member_since = EXCLUDED.member_since,
        sector_ids = EXCLUDED.sector_ids,
        competence_ids = EXCLUDED.competence_ids,
        document = EXCLUDED.document
    WHERE (e.commune_id, e.size_band, e.kind, e.name, e.member_since,
           e.sector_ids, e.competence_ids, e.document)
        IS DISTINCT FROM (EXCLUDED.commune_id, EXCLUDED.size_band, EXCLUDED.kind,
                          EXCLUDED.name, EXCLUDED.member_since,
                          EXCLUDED.sector_ids, EXCLUDED.competence_ids, EXCLUDED.document);
$$;

-- Every entry again (after a bulk load that deferred the triggers).
CREATE FUNCTION cluster_directory_rebuild() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM cluster_directory_entry e
    WHERE NOT EXISTS (SELECT 1 FROM cluster_organisation o WHERE o.id = e.organisation_id);
    SELECT cluster_directory_refresh(ARRAY(SELECT id FROM cluster_organisation));
$$;

CREATE FUNCTION cluster_directory_on_organisations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.directory_refresh', true) = 'deferred' THEN
        RETURN NULL;  -- a bulk load rebuilds the table once at its end
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM cluster_directory_entry WHERE organisation_id IN (SELECT id FROM old_rows);
    ELSIF TG_OP = 'TRUNCATE' THEN
        TRUNCATE cluster_directory_entry;
    ELSE
        PERFORM cluster_directory_refresh(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cluster_directory_organisation_insert AFTER INSERT ON cluster_organisation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_organisations();
CREATE TRIGGER cluster_directory_organisation_update AFTER UPDATE ON cluster_organisation
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_organisations();
CREATE TRIGGER cluster_directory_organisation_delete AFTER DELETE ON cluster_organisation
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_organisations();
CREATE TRIGGER cluster_directory_organisation_truncate AFTER TRUNCATE ON cluster_organisation
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_organisations();

-- Sector and competence links (the two many-to-many tables).
CREATE FUNCTION cluster_directory_on_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.directory_refresh', true) = 'deferred' THEN
        RETURN NULL;  -- a bulk load rebuilds the table once at its end
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM cluster_directory_refresh(ARRAY(SELECT DISTINCT organisation_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM cluster_directory_refresh(ARRAY(SELECT DISTINCT organisation_id FROM old_rows));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM cluster_directory_refresh(ARRAY(
            SELECT organisation_id FROM old_rows UNION SELECT organisation_id FROM new_rows));
    ELSE  -- TRUNCATE
        PERFORM cluster_directory_refresh(ARRAY(SELECT id FROM cluster_organisation));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cluster_directory_sectors_insert AFTER INSERT ON cluster_organisation_sectors
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_sectors_update AFTER UPDATE ON cluster_organisation_sectors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_sectors_delete AFTER DELETE ON cluster_organisation_sectors
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_sectors_truncate AFTER TRUNCATE ON cluster_organisation_sectors
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();

CREATE TRIGGER cluster_directory_competences_insert
    AFTER INSERT ON cluster_organisation_competences
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_competences_update
    AFTER UPDATE ON cluster_organisation_competences
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_competences_delete
    AFTER DELETE ON cluster_organisation_competences
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();
CREATE TRIGGER cluster_directory_competences_truncate
    AFTER TRUNCATE ON cluster_organisation_competences
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_links();

-- New words of a competence: the documents of the organisations having it.
CREATE FUNCTION cluster_directory_on_competence_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fabreck.directory_refresh', true) = 'deferred' THEN
        RETURN NULL;  -- a bulk load rebuilds the table once at its end
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM cluster_directory_refresh(ARRAY(
            SELECT DISTINCT organisation_id FROM cluster_organisation_competences
            WHERE competence_id IN (SELECT competence_id FROM new_rows)));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM cluster_directory_refresh(ARRAY(
            SELECT DISTINCT organisation_id FROM cluster_organisation_competences
            WHERE competence_id IN (SELECT competence_id FROM old_rows)));
    ELSE  -- UPDATE
        PERFORM cluster_directory_refresh(ARRAY(
            SELECT DISTINCT organisation_id FROM cluster_organisation_competences
            WHERE competence_id IN (SELECT competence_id FROM old_rows
                                    UNION SELECT competence_id FROM new_rows)));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cluster_competence_words_insert AFTER INSERT ON cluster_competence_words
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_competence_words();
CREATE TRIGGER cluster_competence_words_update AFTER UPDATE ON cluster_competence_words
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_competence_words();
CREATE TRIGGER cluster_competence_words_delete AFTER DELETE ON cluster_competence_words
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_directory_on_competence_words();

-- A flush of the competences (tests, `seed --fresh`) takes their words along; the
-- reference data loaded afterwards writes them again.
CREATE FUNCTION cluster_competence_words_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE cluster_competence_words;
    RETURN NULL;
END $$;
CREATE TRIGGER cluster_competence_words_truncate AFTER TRUNCATE ON cluster_competence
    FOR EACH STATEMENT EXECUTE FUNCTION cluster_competence_words_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS cluster_competence_words_truncate ON cluster_competence;
DROP FUNCTION IF EXISTS cluster_competence_words_truncate();
DROP TABLE IF EXISTS cluster_competence_words;
DROP FUNCTION IF EXISTS cluster_directory_on_competence_words();
DROP TRIGGER IF EXISTS cluster_directory_competences_insert ON cluster_organisation_competences;
DROP TRIGGER IF EXISTS cluster_directory_competences_update ON cluster_organisation_competences;
DROP TRIGGER IF EXISTS cluster_directory_competences_delete ON cluster_organisation_competences;
DROP TRIGGER IF EXISTS cluster_directory_competences_truncate
    ON cluster_organisation_competences;
DROP TRIGGER IF EXISTS cluster_directory_sectors_insert ON cluster_organisation_sectors;
DROP TRIGGER IF EXISTS cluster_directory_sectors_update ON cluster_organisation_sectors;
DROP TRIGGER IF EXISTS cluster_directory_sectors_delete ON cluster_organisation_sectors;
DROP TRIGGER IF EXISTS cluster_directory_sectors_truncate ON cluster_organisation_sectors;
DROP FUNCTION IF EXISTS cluster_directory_on_links();
DROP TRIGGER IF EXISTS cluster_directory_organisation_insert ON cluster_organisation;
DROP TRIGGER IF EXISTS cluster_directory_organisation_update ON cluster_organisation;
DROP TRIGGER IF EXISTS cluster_directory_organisation_delete ON cluster_organisation;
DROP TRIGGER IF EXISTS cluster_directory_organisation_truncate ON cluster_organisation;
DROP FUNCTION IF EXISTS cluster_directory_on_organisations();
DROP FUNCTION IF EXISTS cluster_directory_rebuild();
DROP FUNCTION IF EXISTS cluster_directory_refresh(bigint[]);
DROP INDEX IF EXISTS cluster_org_competences_by_competence;
DROP TABLE IF EXISTS cluster_directory_entry;
"""


def fill(apps, schema_editor):
    """The words of every competence, then every entry (organisations without competences
    are not reached by the words' trigger)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from fabreck.cluster.services import competence_search_words_sync

    competence_search_words_sync(model=apps.get_model("cluster", "Competence"))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT cluster_directory_rebuild()")


class Migration(migrations.Migration):
    dependencies = [("cluster", "0006_calls")]

    operations = [
        RunSQLOnPostgres(sql=FORWARD, reverse_sql=BACKWARD),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
