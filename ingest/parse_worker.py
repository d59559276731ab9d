"""The program a parse worker process runs (see ingest.parsepool): jobs in on one pipe,
outcomes out on another, until the job pipe closes.

It is started as a script, not as the module `ingest.parse_worker`: importing the package
would run ingest/__init__.py, which loads the store and every connector (about a second and
60 MB per worker) when a worker needs only the parsers. So `ingest` is registered here as a
bare package over the same folder, and its modules import as usual below it.
"""

from __future__ import annotations

import sys
import types
from multiprocessing.connection import Connection
from pathlib import Path


def main(argv: list[str]) -> None:
    package = types.ModuleType("ingest")
    package.__path__ = [str(Path(__file__).resolve().parent)]
    sys.modules.setdefault("ingest", package)
    from ingest import mime  # noqa: F401 - every email job needs it: load it before "ready"
    from ingest.parsepool import serve, tune_gc

    tune_gc()

    jobs_fd, results_fd = int(argv[1]), int(argv[2])
    serve(Connection(jobs_fd, writable=False), Connection(results_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv)
