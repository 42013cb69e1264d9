"""Read and map a large file in a process of its own while this one writes.

Parsing XML or MARC, mapping each record and folding its search text is CPU
work in Python; writing is mostly the database's. ``read_in_background``
runs a reader and ``records.material_values`` in a forked process and hands
the entries over in chunks, in file order, so both cores work: the import
of a large DC-NDL or MARC file runs about twice as fast. The search text
(``services.search_index.material_search_values``) is folded by whichever
process has time for it: here when the importing process is behind, there
when it would otherwise wait. Positions, errors and the file-level
``FormatError`` arrive as if read here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import IO, Any

from ..records import RecordError, material_values
from ..services import search_index
from . import Entry, FormatError

CHUNK = 1000
# The reader folds a chunk's search text itself when the importing process
# has this many chunks waiting (it is ahead); otherwise the importing
# process, which would wait for it, does (``material_records_import``).
AHEAD = 2
Reader = Callable[[IO[bytes]], Iterator[Entry]]


def _ahead(queue: Any) -> bool:
    try:
        return bool(queue.qsize() >= AHEAD)
    except NotImplementedError:  # macOS: no qsize; fold here
        return True


def _index(chunk: list[Entry]) -> None:
    for entry in chunk:
        if entry.values is not None:
            entry.values.update(search_index.material_search_values(entry.values))


def _produce(path: str, reader: Reader, queue: Any) -> None:
    try:
        with open(path, "rb") as source:
            chunk: list[Entry] = []
            for entry in reader(source):
                if entry.record is not None:
                    try:
                        entry.values, entry.reasons = material_values(entry.record)
                    except RecordError as exc:
                        entry.error = str(exc)
                    entry.record = None
                chunk.append(entry)
                if len(chunk) >= CHUNK:
                    if _ahead(queue):
                        _index(chunk)
                    queue.put(chunk)
                    chunk = []
            queue.put(chunk)
        queue.put(None)
    except FormatError as exc:
        queue.put(FormatError(str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the importing process
        queue.put(FormatError(f"the file could not be read: {exc}"))


def read_in_background(path: str, reader: Reader) -> Iterator[Entry]:
    """The entries ``reader`` gives for the file at ``path``, mapped, from a
    forked process (where ``fork`` is available; read here otherwise)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        with open(path, "rb") as source:
            yield from reader(source)
        return
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=16)
    process = context.Process(target=_produce, args=(path, reader, queue), daemon=True)
    process.start()
    try:
        while True:
            item = queue.get()
            if item is None:
                return
            if isinstance(item, FormatError):
                raise item
            yield from item
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=5)
