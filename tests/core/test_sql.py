"""The hottest statements' cursor: on PostgreSQL their statements are prepared after a few
runs on a connection (the server stops planning them); without the database option they
run as every other statement does, never prepared (for poolers that cannot keep them)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fabreck.core.sql import prepared_cursor

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
    ),
]


def _prepared(sql_start: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [sql_start + "%"],
        )
        return cursor.fetchone()[0]


def _run(sql: str, times: int) -> list:
    answers = []
    for _ in range(times):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [41])
            answers.append(cursor.fetchone()[0])
    return answers


def test_a_hot_statement_is_prepared_once_it_has_run_a_few_times():
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    sql = "SELECT %s + 1 AS hot_answer"

    assert _run(sql, threshold) == [42] * threshold
    assert _prepared("SELECT $1 + 1 AS hot_answer") == 0

    assert _run(sql, 2) == [42, 42]
    assert _prepared("SELECT $1 + 1 AS hot_answer") == 1


def test_without_the_database_option_nothing_is_prepared(monkeypatch):
    monkeypatch.delitem(connection.settings_dict["OPTIONS"], "prepare_threshold")

    assert _run("SELECT %s + 1 AS cold_answer", 8) == [42] * 8
    assert _prepared("SELECT $1 + 1 AS cold_answer") == 0
    assert _prepared("SELECT 41 + 1 AS cold_answer") == 0


def test_prepared_statements_still_show_in_the_query_log():
    with CaptureQueriesContext(connection) as queries:
        _run("SELECT %s + 1 AS logged_answer", 5)

    assert [q["sql"] for q in queries.captured_queries] == ["SELECT %s + 1 AS logged_answer"] * 5
