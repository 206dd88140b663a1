# What a run does as it starts and when it fails, apart from the plan (common.smk):
# refuse to start without an engine or SLURM, forward a stop to the session,
# put back settings nothing was measured with (on a cluster, the nodes' records a failed job lost),
# and end with parbench's own line.

import time

from parbench import hostfiles
from parbench.budgetplan import BUDGET, SETTINGS
from parbench.control import session_pid
from parbench.settingsfile import keep_before, put_back

LOCK = Path("results/session/measure.lock")
KEPT = {"files": [], "since": 0.0}  # the cluster's records as this run found them, and when (parbench.hostfiles)


# Entry points keep their one-line error here (errors.main_guard); onerror repeats it last.
ERROR_FILE = Path("logs/parbench-errors.txt").resolve()
os.environ["PARBENCH_ERROR_FILE"] = str(ERROR_FILE)


onstart:
    from parbench.control import forward_stop_signals, hosts_here_problem, start_problem

    ERROR_FILE.parent.mkdir(parents=True, exist_ok=True)
    ERROR_FILE.unlink(missing_ok=True)
    if HOSTS and workflow.local_exec:  # every node's session would measure this machine, filed as the node's
        sys.exit(f"parbench: {hosts_here_problem(HOSTS)}")
    problem = start_problem(config, HOSTS)
    if problem:
        sys.exit(f"parbench: {problem}")  # Snakemake releases its lock on the way out
    # Snakemake lets running jobs finish when interrupted; a session is told to stop (it keeps its journal).
    forward_stop_signals(LOCK)
    if not HOSTS:  # kept until a session measures with the new texts (parbench.settingsfile)
        keep_before(SETTINGS, PLAN.settings)
        keep_before(BUDGET, PLAN.budget)
    KEPT.update(files=hostfiles.keep(hostfiles.node_files(HOSTS), workflow.persistence), since=time.time())


onerror:
    # Settings nothing was measured with give way to the results' own (parbench.settingsfile), unless
    # another invocation's session is measuring with them.
    measured = [cell.raw_path for cell in PLAN.measured]
    if not HOSTS and session_pid(LOCK) is None and (line := put_back(SETTINGS, workflow.persistence, measured)):
        print(f"parbench: {line}", file=sys.stderr)
    # On a cluster, the nodes' records that failed jobs lost, and settings no node measured with (parbench.hostfiles).
    if back := hostfiles.put_back(KEPT["files"], workflow.persistence, HOSTS, KEPT["since"]):
        said = f"put back as they were, so the nodes' results stand: {', '.join(back)}"
        print(f"parbench: {said}", file=sys.stderr)
    # Snakemake's own account of the failure ends with a pointer to its log;
    # the line the user needs is parbench's, so it comes last. Snakemake 9
    # reports "At least one job did not complete successfully." after this
    # hook, so the line is printed when the process exits.
    if ERROR_FILE.exists():
        lines = ERROR_FILE.read_text().splitlines()
        if lines:
            import atexit

            atexit.register(lambda line=lines[-1]: print(line, file=sys.stderr, flush=True))
