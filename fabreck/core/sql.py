"""Plain SELECTs on the hottest paths (token authentication, a registration's reads): the
ORM spends longer building such a query than the database answering it."""

from __future__ import annotations

from django.db import connection


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
