"""What one invocation of the workflow builds and measures, decided once.

The Snakefile asks `plan` for everything that depends on the machine and on
the results already on disk: the cells, the ones this invocation measures,
damaged raw files to repair, an unfinished session to take up again, images
the engine lost, each cluster node's CPUs, and the notices to print. All
machine queries go through a `Machine`, so the decision is a function of
plain data that unit tests drive with fixtures; the Snakefile itself only
reads the answer.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from . import docker, environment, slurm
from .atomic import write_text_atomic
from .budget import choice_text
from .budgetplan import (
    IMAGES,
    JOURNAL,
    SETTINGS,
    cluster_session,
    host_budgeted,
    image_ids,
    joined,
    local_budgeted,
    node_choice,
    settings_texts,
    spent_before,
)
from .bundle import bundle_stem
from .config import enabled_workloads, workload_params, workload_units
from .control import cells_to_repair
from .cpusets import available_cpus
from .errors import ParbenchError
from .estimate import invocation_line
from .hostlimits import HostEstimate
from .journal import cell_runs_done, journal_cells, journal_header, settings_digest
from .matrix import Cell, all_cells, check_remeasure, measured_cells
from .slurm import unknown_node_problem
from .specs import USER_WORKLOADS, use_user_workloads
from .stopping import StopRule
from .userworkloads import unnamed_params, user_workloads


@dataclass(frozen=True)
class Machine:
    """The questions the plan asks the machine; tests answer them from fixtures.

    `find_image` returns the image ID the engine has (None: it has not) and
    raises ParbenchError when no engine answers; None in place of the function
    means "do not ask" (a job's own process, which must not query again).
    `node_cpus` raises ParbenchError when SLURM does not answer.
    """

    cpus: list[int]
    find_image: Callable[[str], str | None] | None
    node_cpus: Callable[[], dict[str, int]]
    commit: Callable[[], str]
    label: Callable[[str | None, bool], str]
    today: str


def git_commit(repo: Path) -> str:
    """The short commit of the checkout that holds the workflow, or "nogit"."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=repo)
    except OSError:
        return "nogit"
    return done.stdout.strip() if done.returncode == 0 else "nogit"


def this_machine(repo: Path, ask_engine: bool = True) -> Machine:
    """The real machine: its affinity, Docker engine, SLURM and git checkout."""
    return Machine(
        cpus=available_cpus(),
        find_image=(lambda image: docker.find_image(image, timeout=10)) if ask_engine else None,
        node_cpus=lambda: {name: node.cpus for name, node in slurm.cluster_nodes().items()},
        commit=lambda: git_commit(repo),
        label=environment.host_label,
        today=date.today().strftime("%Y%m%d"),
    )


@dataclass(frozen=True)
class Plan:
    """The answer: what the rules build, measure and say."""

    cells: list[Cell]
    measured: list[Cell]
    settings: str  # the session settings file's text: everything that decides what is measured
    experiment: dict  # the experiment as recorded: the config without `remeasure`
    host_label: str
    bundle_stem: str
    cpus: list[int] = field(default_factory=list)  # this machine's, the ceiling of its CPU sets
    budget: str = "null"  # budget.json's text: what a budget asked and chose (budgetplan); "null" on a cluster
    remeasure: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    host_cpus: dict[str, int] = field(default_factory=dict)
    repair: dict[str, str] = field(default_factory=dict)
    resuming: str | None = None
    resume_narrowed: bool = False  # the unfinished session measured part of the plan: take up just that part
    respent: bool = False  # results whose session spent another budget are measured again (spent_before)
    gone_images: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unknown_hosts: list[str] = field(default_factory=list)  # one line each; a run stops on them in onstart
    derived: list[str] = field(default_factory=list)  # RUNTIME+WORKLOAD images (derived_images)
    estimate: str = ""  # the predicted session, one line (empty on a cluster: each node plans its own)
    host_estimates: dict[str, HostEstimate] = field(default_factory=dict)  # each node's, from its CPU count

    @property
    def raw_paths(self) -> list[str]:
        return [cell.raw_path for cell in self.cells]

    @property
    def budget_line(self) -> str:
        """The budget's record as one line of JSON, for the session's command line (measure.py --budget)."""
        return json.dumps(json.loads(self.budget), sort_keys=True, separators=(",", ":"))

    @property
    def narrowing(self) -> str:
        """The measuring command's options when it measures less than the whole plan."""
        if self.repair:
            return " --repair"
        if self.resume_narrowed:
            return " --resume"
        if self.remeasure:
            return " --runtimes " + ",".join(self.remeasure)
        return ""

    @property
    def renew_session(self) -> bool:
        """Whether the session must run although Snakemake sees its outputs up to date."""
        return bool(self.repair or self.resuming or self.respent)


def session_settings(config: dict, cells: list[Cell]) -> str:
    """The settings file's text; `remeasure` only narrows an invocation, so it is not in it."""
    settings = {
        "cells": [cell.raw_path for cell in cells],
        "repeats": config["repeats"],
        "min_rounds": config["min_rounds"],
        "precision": config["precision"],
        "warmup": config["warmup"],
        "min_time": config["min_time"],
        "values_time": config["values_time"],
        "max_values": config["max_values"],
        "seed": config["seed"],
        "params": {name: workload_params(w) for name, w in enabled_workloads(config).items()},
        "units": {name: workload_units(name, w) for name, w in enabled_workloads(config).items()},
        "env": {name: v["env"] for name, v in config["variants"].items()},
        "limits": config["limits"],
    }
    # Docker is the engine when none is named, so settings (and results) from before engines stay as they were.
    # A node's own engine (host_engines) is its measure job's parameter, so changing it remeasures that node alone.
    if config.get("engine", "docker") != "docker":
        settings["engine"] = config["engine"]
    if config.get("cells_per_container", 1) > 1:  # as engine: settings of one cell per container stay as they were
        settings["cells_per_container"] = config["cells_per_container"]
    if USER_WORKLOADS:  # a folder's digest is in the settings: changed code is measured again
        settings["user_workloads"] = {name: asdict(spec) for name, spec in sorted(USER_WORKLOADS.items())}
        settings["derived_images"] = derived_images(config)
    return json.dumps(settings, sort_keys=True, indent=1)


def derived_images(config: dict) -> list[str]:
    """Images made for one user workload on one runtime, named RUNTIME+WORKLOAD.

    A CPython runtime gets one where the folder brings requirements.txt (its
    packages installed), Go one where it brings a Go twin (compiled in);
    otherwise the runtime's own image runs the folder, mounted read-only.
    """
    names = []
    for runtime in config["runtimes"]:
        kind = config["catalogue"][runtime]["kind"]
        for name, spec in sorted(USER_WORKLOADS.items()):
            if spec.requirements if kind == "cpython" else spec.go:
                names.append(f"{runtime}+{name}")
    return names


def taken_up(header: dict, settings: str) -> tuple[str | None, list[str]]:
    """The unfinished session (its journal's header) this run takes up again, if any, and what to say of it.

    One planned from other settings is not taken up: it wrote no raw file, so
    the results measured before it stand, and whether they are up to date is
    the settings file's to say. A session that runs sets its journal aside, and says where (journal.py).
    """
    session = header.get("session")
    if not session:
        return None, []
    if header.get("planned") in (None, settings_digest(settings)):
        return session, [
            f"session {session} did not finish: this run takes it up again, unless its images or harness changed"
        ]
    return None, [
        f"session {session} did not finish, and was planned from other settings: it is not taken up again, "
        "and the results measured before it stand"
    ]


def resumed_part(journal: Path, cells: list[Cell], settings: str) -> list[Cell] | None:
    """The plan's cells an unfinished session measures, when it measured part of them; else None.

    A session narrowed to some runtimes (`remeasure`) or to damaged files
    that stopped is taken up again by the next plain command as that part,
    instead of remeasuring the whole plan. A journal planned from other
    settings (its header keeps their sha256), or from before journals named
    their cells, narrows nothing: the whole plan is measured as it now is.
    """
    named = journal_cells(journal, settings_digest(settings))
    if named is None:
        return None
    wanted = set(named)
    part = [cell for cell in cells if cell.raw_path in wanted]
    return part if len(part) == len(wanted) and len(part) < len(cells) else None


def gone_images(root: Path, find_image: Callable[[str], str | None] | None) -> tuple[list[str], list[str]]:
    """(names, notices) of images whose ID file names an image the engine no longer has.

    Without an engine to ask nothing is called gone: the onstart check reports that.
    """
    if find_image is None:
        return [], []
    gone, notices = [], []
    for name, image in image_ids(root).items():
        try:
            found = find_image(image)
        except ParbenchError:
            return [], []
        if found is None:
            gone.append(name)
            notices.append(f"image {image[:19]} of {IMAGES / name}.iid is gone from the engine; it will be rebuilt")
    return gone, notices


def repairs(root: Path, cells: list[Cell], settings: str, budget: str) -> dict[str, str]:
    """Raw files of the last session's plan that are missing or damaged, with why.

    A cell of a session with a budget may hold `min_rounds` containers (where
    it was spent), so the fewest a finished cell holds is read with the budget.
    """
    fewest = StopRule.of(joined(json.loads(settings), json.loads(budget))).fewest
    found = cells_to_repair([str(root / cell.raw_path) for cell in cells], root / SETTINGS, settings, fewest)
    return {str(Path(path).relative_to(root)): why for path, why in found.items()}


def repair_notice(repair: dict[str, str]) -> str:
    """What the plan says of the raw files it measures again, and why each."""
    return f"{len(repair)} raw file(s) missing or damaged, measuring just those again: " + "; ".join(
        f"{path} ({why})" for path, why in sorted(repair.items())
    )


def node_cpus(machine: Machine) -> dict[str, int]:
    """Each SLURM node's CPUs; empty where SLURM does not answer (a cluster run planned on paper)."""
    try:
        return machine.node_cpus()
    except ParbenchError:
        return {}


def experiment(config: dict) -> dict:
    """The experiment as recorded: the config without `remeasure`, with what each user workload is."""
    recorded = {key: value for key, value in config.items() if key != "remeasure"}
    if USER_WORKLOADS:
        recorded["user_workloads"] = [asdict(spec) for _, spec in sorted(USER_WORKLOADS.items())]
    return recorded


def plan(config: dict, root: Path, machine: Machine) -> Plan:
    """The plan for a validated config (defaults filled in), run in project folder `root`.

    A cluster run (`hosts`) resolves its cells on each node and resumes each
    node's session there, so repairs and resuming are this machine's only.
    """
    use_user_workloads(user_workloads(enabled_workloads(config)))
    cells = all_cells(config, machine.cpus)
    hosts = list(config.get("hosts") or [])
    # A node fits a budget to its own cells (host_budgeted): this machine's history is not read for a cluster run.
    asked = json.loads(session_settings(config, cells))
    session = cluster_session(asked, cells) if hosts else local_budgeted(asked, cells, config, root)
    cells, (settings, budget) = session.cells, settings_texts(session.settings, root, bool(hosts), config.get("budget"))
    gone, notices = gone_images(root, machine.find_image)
    notices += unnamed_params(enabled_workloads(config))
    header = {} if hosts else journal_header(root / JOURNAL)  # read once: the session and what it was planned from
    resuming, said = taken_up(header, settings)
    notices += said
    notices += session.said
    # A new `remeasure` is what the user asks now: it wins over a stopped session's part and a spent budget's cells.
    respent = None if hosts or resuming or config.get("remeasure") else spent_before(root, cells, config.get("budget"))
    notices += [respent] if respent else []
    repair = {} if hosts or resuming or respent else repairs(root, cells, settings, budget)
    if not hosts and not repair:
        check_remeasure(config.get("remeasure") or [], cells, root)
    part = resumed_part(root / JOURNAL, cells, settings) if resuming and not config.get("remeasure") else None
    kept = set(cells)  # a budget may have left CPU sets out
    measured = part if part is not None else [cell for cell in measured_cells(config, machine.cpus) if cell in kept]
    if repair:
        notices.append(repair_notice(repair))
        measured = [cell for cell in cells if cell.raw_path in repair]
    label = machine.label(config.get("host_label"), config.get("record_hostname", False))
    host_cpus = node_cpus(machine) if hosts else {}
    return Plan(
        cells=cells,
        measured=measured,
        settings=settings,
        budget=budget,
        experiment=experiment(config),
        host_label=label,
        bundle_stem=bundle_stem(label, machine.today, machine.commit()),
        cpus=list(machine.cpus),
        remeasure=[] if repair else list(config.get("remeasure") or []),
        hosts=hosts,
        host_cpus=host_cpus,
        repair=repair,
        resuming=resuming,
        resume_narrowed=part is not None,
        respent=bool(respent),
        gone_images=gone,
        notices=notices,
        unknown_hosts=[f"host {h}: {unknown_node_problem(h, host_cpus)}" for h in hosts if h not in host_cpus]
        if host_cpus
        else [],
        derived=derived_images(config),
        estimate=""
        if hosts
        else invocation_line(session.estimate, measured, settings, cell_runs_done(root / JOURNAL) if resuming else {}),
        host_estimates=host_estimates(config, {h: host_cpus[h] for h in hosts if h in host_cpus}, root),
    )


def host_estimates(config: dict, host_cpus: dict[str, int], root: Path) -> dict[str, HostEstimate]:
    """Each node's predicted session: the cells a machine of its CPUs plans, as its budget leaves them.

    With it, what the budget chooses there (due.choice_change compares it with the node's last session) and
    whether results a spent budget stopped short are measured again (as here:
    budgetplan.spent_before, on the node's raw folder).
    """
    out = {}
    budget, wanted = config.get("budget"), set(config.get("remeasure") or [])
    for host, cpus in sorted(host_cpus.items()):
        ids = list(range(cpus))
        cells = all_cells(config, ids, topology=ids)
        folder = Path("results") / "hosts" / host
        settings = json.loads(session_settings(config, cells))
        try:
            session = host_budgeted(
                settings, cells, config, root, (root / folder / "raw", root / folder / "session"), budget
            )
        except ParbenchError as refused:  # a budget too small for the node: refused before anything is built
            raise ParbenchError(f"host {host} ({cpus} CPUs): {refused}") from None
        estimate, chosen = session.estimate, json.loads(session.settings)
        if wanted:  # the node measures these runtimes' cells alone (hostsession.host_cells)
            estimate = estimate.only(cell.raw_path for cell in session.cells if cell.runtime in wanted)
        respent = None if wanted else spent_before(root, session.cells, budget, folder / "raw")
        choice = node_choice(root / folder / "session", budget) or choice_text(chosen)
        out[host] = HostEstimate(host, cpus, estimate, chosen["repeats"], "; ".join(session.said), choice, respent)
    return out


def fingerprint(data: dict, prefix: str = "", longest: int = 80) -> list[str]:
    """`data` as one short "key.path=value" line per leaf, for a rule's params.

    Snakemake prints the params that differ as a rerun's reason, so a rule
    whose params are these lines says which setting changed; a value longer
    than `longest` (a list of cells) stands as its digest.
    """
    lines = []
    for key, value in sorted(data.items()):
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            lines += fingerprint(value, name + ".", longest)
            continue
        text = json.dumps(value, sort_keys=True)
        if len(text) > longest:
            text = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]
        lines.append(f"{name}={text}")
    return lines


def write_if_changed(path: Path | str, text: str) -> None:
    """Write text unless the file already holds it, so its date says when it last changed."""
    target = Path(path)
    if target.exists() and target.read_text() == text:
        return
    write_text_atomic(target, text)
