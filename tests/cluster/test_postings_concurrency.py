"""PostgreSQL: organisations written at the same moment keep the directory's postings
exact (migration 0009). Writers that change the same key (here, all of them take on one
competence: its posting and its words' postings) each rewrite that posting with one
upsert, computed from the row it has locked: each waits for the others and adds its own
change to theirs. The control swaps in the tempting shortcut (the new ids computed from
what the statement read before writing) and shows organisations lost from the postings,
under the same timing."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection, transaction

from fabreck.cluster.models import Competence, Organisation
from tests.cluster.test_search_speed import _assert_in_step, _postings
from tests.concurrency import run_at_once
from tests.factories import organisation_make

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent writers are proven on PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 12
# Each writer holds its transaction open this long after its change: every other writer
# has read the postings by then, so without the guard the race is certain, not lucky.
WINDOW_SECONDS = 0.3

postings_migration = importlib.import_module("fabreck.cluster.migrations.0009_directory_postings")

# The shortcut: read the postings the changes touch, then write the result over them.
SNAPSHOT_APPLY = postings_migration.APPLY.replace(
    """    INSERT INTO cluster_directory_posting AS p (facet, value, ids)
    SELECT facet, value, add_ids FROM changes ORDER BY facet, value""",
    """    , read_first AS (
        SELECT c.facet, c.value, (coalesce(p.ids, '{{}}') - c.remove_ids) | c.add_ids AS ids
        FROM changes c LEFT JOIN cluster_directory_posting p USING (facet, value)
    )
    INSERT INTO cluster_directory_posting AS p (facet, value, ids)
    SELECT facet, value, ids FROM read_first ORDER BY facet, value""",
).replace(
    """    ON CONFLICT (facet, value) DO UPDATE SET ids = (
        p.ids - (SELECT c.remove_ids FROM changes c
                 WHERE c.facet = excluded.facet AND c.value = excluded.value)
    ) | excluded.ids;""",
    "    ON CONFLICT (facet, value) DO UPDATE SET ids = excluded.ids;",
)
assert SNAPSHOT_APPLY.count("read_first") == 2 and "p.ids - " not in SNAPSHOT_APPLY


def _everyone_takes_on(competence: Competence, organisations: list[Organisation]) -> None:
    def writer(organisation: Organisation):
        def call() -> None:
            with transaction.atomic():
                organisation.competences.add(competence)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(%s)", [WINDOW_SECONDS])

        return call

    outcomes = run_at_once([writer(o) for o in organisations])
    assert [o for o in outcomes if o is not None] == []


def _holders(competence: Competence) -> list[int]:
    return _postings().get(("p", str(competence.pk)), [])


@pytest.fixture
def writers():
    organisations = [
        organisation_make(name=f"Atelier {n}", competences=("ceramics",)) for n in range(THREADS)
    ]
    return Competence.objects.get(slug="carpentry"), organisations


def test_writers_at_once_each_reach_the_postings(writers):
    carpentry, organisations = writers

    _everyone_takes_on(carpentry, organisations)

    assert _holders(carpentry) == sorted(o.pk for o in organisations)
    _assert_in_step()  # the words of carpentry too, and every other key


def test_control_postings_written_from_what_was_read_lose_organisations(writers):
    carpentry, organisations = writers
    with connection.cursor() as cursor:
        cursor.execute(postings_migration.trigger_function(SNAPSHOT_APPLY))
    try:
        _everyone_takes_on(carpentry, organisations)
        held = _holders(carpentry)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(postings_migration.trigger_function())

    assert len(held) < THREADS, f"no race without the guard ({held}): the test proves nothing"
