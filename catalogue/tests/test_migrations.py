"""Moving ``Material`` from ``loans`` to ``catalogue`` keeps every row.

The migrations are run backwards to the last state before the move and
forwards again with ``MigrationExecutor`` (on SQLite and PostgreSQL alike):
a material stored before the move, and the loan that points at it, are still
there after it, in the renamed table, with its check constraint renamed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from catalogue.models import Material
from catalogue.tests.factories import MaterialFactory
from loans.models import LoanRequest
from loans.tests.factories import LoanRequestFactory

BEFORE_THE_MOVE = [("catalogue", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_the_move_survive_it() -> None:
    kept = MaterialFactory(ndl_id="000000000001", title="移動前の本", isbn="9784812215531")
    loan = LoanRequestFactory(material=kept)
    loans_ct = ContentType.objects.get_for_model(Material)
    executor = MigrationExecutor(connection)
    try:
        executor = _migrate(BEFORE_THE_MOVE)
        assert "loans_material" in _tables()
        assert "catalogue_material" not in _tables()
        old_apps = executor.loader.project_state([("loans", "0009_pull_slip_batches")]).apps
        OldMaterial = old_apps.get_model("loans", "Material")
        assert OldMaterial.objects.get(ndl_id="000000000001").title == "移動前の本"
        # A row written by the old code, before the move.
        site_id = OldMaterial.objects.get(ndl_id="000000000001").site_id
        OldMaterial.objects.create(
            ndl_id="000000000002",
            title="Stored by the old code",
            language="foreign",
            acquired_on=dt.date(1990, 5, 1),
            site_id=site_id,
            staff_excluded=True,
            staff_note="kept",
        )
        assert ContentType.objects.get(pk=loans_ct.pk).app_label == "loans"
    finally:
        _migrate(executor.loader.graph.leaf_nodes())

    assert "loans_material" not in _tables()
    assert "catalogue_material" in _tables()
    assert list(Material.objects.order_by("ndl_id").values_list("ndl_id", "title")) == [
        ("000000000001", "移動前の本"),
        ("000000000002", "Stored by the old code"),
    ]
    assert LoanRequest.objects.get(pk=loan.pk).material_id == kept.pk
    assert Material.objects.get(ndl_id="000000000002").staff_note == "kept"
    # The content type (permissions, admin history) moved with the model.
    assert ContentType.objects.get(pk=loans_ct.pk).app_label == "catalogue"
    # The renamed constraint still holds.
    with (
        pytest.raises(IntegrityError, match="catalogue_material_exclusion_has_note"),
        transaction.atomic(),
    ):
        Material.objects.filter(ndl_id="000000000002").update(staff_note="")
