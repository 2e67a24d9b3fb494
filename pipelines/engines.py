"""How the firm-level assets spread their work: whole frames, chunks, or Dask tasks
(the study's ``engine.firms``)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from data_sources.firm_engine import map_chunks
from data_sources.study import Study
from pipelines.resources import DaskResource


@contextmanager
def chunk_runner(spec: Study, dask: DaskResource) -> Iterator[Callable | None]:
    """None for ``engine.firms: pandas`` (the asset runs its function on the whole
    frame); else `map_chunks` bound to the study's chunk size and, for ``dask``, to
    a client of the cluster (`DaskResource`)."""
    engine = spec.engine
    if engine.firms == "pandas":
        yield None
        return
    client = dask.client(engine) if engine.firms == "dask" else None
    try:
        yield partial(
            map_chunks, engine=engine.firms, chunk_rows=engine.chunk_rows, client=client
        )
    finally:
        if client is not None:
            dask.release(client)
