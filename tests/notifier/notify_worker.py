"""Runs the service's notify job for a config file in a child process, as the scheduler
would: `python -m tests.notifier.notify_worker CONFIG [RUNS]`.

The crash tests kill a run with SIGKILL mid-batch; the next run then starts in a fresh
process. Runs are forked from this one, which has done the slow imports once, so a restart
costs milliseconds. Each run prints `pid N` when it starts and its job's result as JSON
(or `killed`) when it ends.
"""

from __future__ import annotations

import json
import os
import sys

from commwatch.config import load_config
from commwatch.service import Service


def run_notify(path: str) -> int:
    service = Service(load_config(path))  # in the child: no engine crosses the fork
    [job] = [j for j in service.jobs() if j.name == "notify"]
    run = service.run_job(job)
    print(json.dumps({"outcome": run.outcome, "counts": run.counts, "error": run.error}),
          flush=True)
    return 0 if run.outcome == "ok" else 1


def main(path: str, runs: int) -> int:
    code = 0
    for _ in range(runs):
        child = os.fork()
        if child == 0:
            try:
                os._exit(run_notify(path))
            except BaseException:  # noqa: BLE001 - report, then leave the child
                import traceback

                traceback.print_exc()
                os._exit(2)
        print(f"pid {child}", flush=True)
        _, status = os.waitpid(child, 0)
        if os.WIFSIGNALED(status):
            print(f"killed {os.WTERMSIG(status)}", flush=True)
            code = 0
        else:
            code = os.WEXITSTATUS(status)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1))
