"""Plain SELECTs on the hottest paths (token authentication, a registration's reads): the
ORM spends longer building such a query than the database answering it."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def row_reader(model, alias: str):
    """The columns of `model` as `alias`.<column> for a plain SELECT, and a function making
    an instance from them with the database's converters applied (what the ORM's compiler
    does for each query; here it is worked out once per database)."""
    fields = model._meta.concrete_fields
    cols = [field.get_col(alias) for field in fields]
    converters = [
        [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)] for col in cols
    ]
    names = [field.attname for field in fields]

    def make(values):
        values = list(values)
        for i, column_converters in enumerate(converters):
            for converter in column_converters:
                values[i] = converter(values[i], cols[i], connection)
        return model.from_db(connection.alias, names, values)

    sql = ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields)
    return sql, len(fields), make


@contextmanager
def prepared_cursor():
    """A cursor for the hottest statements (token authentication, a registration). On
    PostgreSQL its statements are bound server-side, so psycopg prepares each one after a
    few runs on a connection and the server stops planning it again: for these small
    statements planning costs more than running them (about 0.4 ms of 0.7 for a
    registrant's count). Django's own cursors bind on the client and never prepare (poolers
    in transaction mode without prepared-statement support need that); so do these when
    the database's OPTIONS leave `prepare_threshold` unset."""
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    wrap = _PreparedDebugCursor if connection.queries_logged else CursorWrapper
    with wrap(raw, connection) as cursor:
        yield cursor


class _PreparedDebugCursor(CursorDebugWrapper):
    """Logs a statement as written, with its parameters: once a statement is prepared,
    psycopg no longer keeps the query text Django's log reads back."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)
