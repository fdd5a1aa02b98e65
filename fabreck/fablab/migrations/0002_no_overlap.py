"""On PostgreSQL, two occupancies of one resource can never overlap: the database itself
refuses the second booking, whatever the code above it does. SQLite serialises writers
instead (transaction_mode IMMEDIATE) and the service checks overlaps under that lock."""

from django.db import migrations

from fabreck.core.migration_operations import RunSQLOnPostgres


class Migration(migrations.Migration):
    dependencies = [("fablab", "0001_initial")]

    operations = [
        RunSQLOnPostgres(
            "CREATE EXTENSION IF NOT EXISTS btree_gist",
            migrations.RunSQL.noop,
        ),
        RunSQLOnPostgres(
            """
            ALTER TABLE fablab_occupancy ADD CONSTRAINT fablab_occupancy_no_overlap
            EXCLUDE USING gist (
                resource_id WITH =,
                tstzrange(starts_at, ends_at, '[)') WITH &&
            )
            """,
            "ALTER TABLE fablab_occupancy DROP CONSTRAINT fablab_occupancy_no_overlap",
        ),
    ]
