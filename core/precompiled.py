"""Queries compiled once per process and then only run.

Every admin page loads the signed-in user (joined with the library and the
site: 40 columns) and the staff member's OTP device; profiled on the
benchmark's work lists, compiling those queries again on every page cost
more than a millisecond of CPU, a tenth of a whole list. ``PrecompiledGet``
and ``PrecompiledAll`` compile such a query with the ORM's own compiler
once per process and database, and build the objects with its own row
loaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Model
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

_M = TypeVar("_M", bound=Model)
# The primary key the query is compiled with, replaced by the one asked for.
# Within every integer key's range (a 32-bit AutoField's too): the ORM
# compiles a value out of its field's range as "no rows", without a parameter.
_COMPILED_PK = 864209753


@dataclass(frozen=True)
class _Plan:
    sql: str
    start: int
    end: int
    init_list: list[str]
    converters: dict[int, tuple[list[Any], Any]]
    related: list[Any]


class PrecompiledGet(Generic[_M]):
    """``model._default_manager.select_related(*related).filter(pk=pk).first()``,
    the same object with the same related objects, from SQL compiled once
    per process and database (the ORM's own compiler and row loaders; only
    the primary key changes from one call to the next)."""

    def __init__(self, model: type[_M], *related: str) -> None:
        self.model = model
        self.related = related
        self._plans: dict[tuple[str, str], _Plan] = {}

    def _queryset(self, alias: str) -> Any:
        return self.model._default_manager.using(alias).filter(pk=_COMPILED_PK)

    def _plan(self, alias: str) -> _Plan:
        queryset = self._queryset(alias)
        if self.related:
            queryset = queryset.select_related(*self.related)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params) != self._params:  # pragma: no cover - a model with a default filter
            raise ValueError(f"{self.model.__name__}: the query has parameters of its own")
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None  # noqa: S101 - a model query  # nosec B101
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Plan(
            sql=sql,
            start=start,
            end=end,
            init_list=[s[0].target.attname for s in select[start:end]],
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            related=get_related_populators(klass_info, select, alias),
        )

    _params: list[Any] = [_COMPILED_PK]

    def __call__(self, pk: Any) -> _M | None:
        found = self._objects([pk])
        return found[0] if found else None

    def _objects(self, params: list[Any]) -> list[_M]:
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        key = (alias, connection.vendor)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(alias)
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        objects = []
        for row in rows:
            if plan.converters:
                values = list(row)
                for position, (converters, expression) in plan.converters.items():
                    for converter in converters:
                        values[position] = converter(values[position], expression, connection)
                row = tuple(values)
            obj = self.model.from_db(alias, plan.init_list, row[plan.start : plan.end])
            for populator in plan.related:
                populator.populate(row, obj)
            objects.append(obj)
        return objects


class PrecompiledAll(PrecompiledGet[_M]):
    """``list(model._default_manager.all())`` (in the model's own order), from
    SQL compiled once per process: for a small table every view reads whole,
    such as the NDL's sites in the lists' site filters."""

    _params: list[Any] = []

    def _queryset(self, alias: str) -> Any:
        return self.model._default_manager.using(alias).all()

    def all(self) -> list[_M]:
        return self._objects([])
