"""The folded appendix: every cell, the workloads, the images, the measuring machine and the config."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from ..comparisons import workload_label
from ..config import enabled_workloads, workload_params
from ..specs import USER_WORKLOADS, WORKLOADS, params_label
from ._format import fmt_ci, fmt_seconds, folded, markdown_table
from ._inputs import ReportInputs

# Machine facts of a stamp shown elsewhere (CPU sets in § CPU sets) or too long for a table row.
NOT_LISTED = ("cpu_flags", "topology", "cpusets")
# The order environment.collect() gathers them in (stamps store them sorted); other facts follow.
FACT_ORDER = (
    "session",
    "host_label",
    "collected_at",
    "cpu_model",
    "smt_active",
    "cpu_count",
    "cpus_available",
    "machine",
    "kernel",
    "os",
    "docker_server_version",
    "docker_client_version",
    "git_commit",
    "git_clean",
)


def every_cell_table(summary: pd.DataFrame) -> pd.DataFrame:
    cells = summary.sort_values(["workload", "runtime", "mode", "variant", "cpus", "workers"])
    return pd.DataFrame(
        {
            "workload": cells["workload"].map(workload_label),
            "runtime": cells["runtime"],
            "mode": cells["mode"],
            "variant": cells["variant"],
            "CPUs": cells["cpuset"],
            "workers": cells["workers"],
            "n": cells["n"],
            "median (s)": cells["median"].map(fmt_seconds),
            "95 % CI (s)": cells.apply(fmt_ci, axis=1),
            "CV": cells["cv"].map(lambda v: "–" if math.isnan(v) else f"{v:.1%}"),
        }
    )


def workload_about(name: str, entry: dict) -> tuple[str, dict, str]:
    """(what it does, parameters, scaling) of a configured workload, a built-in or a user's folder."""
    user = USER_WORKLOADS.get(name)
    if user is not None:  # a user's entry names its folder and puts the parameters under `params`
        return f"{user.about} (your workload)", dict(entry.get("params") or {}), user.scaling
    return WORKLOADS[name].about, workload_params(entry), WORKLOADS[name].scaling


def workload_rows(config: dict) -> pd.DataFrame:
    """What each configured workload does, with its parameters: the experiment at a glance."""
    rows = []
    for name, entry in enabled_workloads(config).items() if config.get("workloads") else []:
        about, params, scaling = workload_about(name, entry)
        rows.append(
            {
                "workload": name,
                "what it does": about,
                "parameters": params_label(params).replace(",", ", "),
                "scaling": scaling,
            }
        )
    return pd.DataFrame(rows)


def image_rows(identities: list[dict]) -> pd.DataFrame:
    rows = []
    for record in identities:
        ident = record["identity"]
        if record["config"]["kind"] == "cpython":
            what = (
                f"Python {ident['version']}, Py_GIL_DISABLED={int(ident['gil_build_disabled'])}, "
                f"GIL enabled={ident['gil_enabled']}, {ident['compiler']}, "
                f"configure: {ident['configure_args'] or '(none)'}"
            )
            added = {name: v for name, v in (ident.get("distributions") or {}).items() if name != "pip"}
            if added:  # a user workload's image: the packages its requirements.txt installed
                what += "; installed: " + ", ".join(f"{name} {v}" for name, v in added.items())
        else:
            what = f"{ident['GOVERSION']} {ident['GOOS']}/{ident['GOARCH']}"
        rows.append((record["runtime"], record["image_id"], what))
    return pd.DataFrame(rows, columns=["runtime", "image ID", "verified identity"])


def environment_lines(env: dict) -> list[str]:
    """The measuring machine's facts as its session stamp recorded them, or why there are none."""
    title = "Environment of the measuring machine (from its session stamp, taken while measuring)"
    if not env:
        return folded(title, ["No session stamp: the measuring machine is not recorded with these tables."])
    facts = [k for k in FACT_ORDER if k in env] + [k for k in env if k not in FACT_ORDER and k not in NOT_LISTED]
    rows = [(k, "–" if env[k] is None else str(env[k])) for k in facts]
    return folded(title, [markdown_table(pd.DataFrame(rows, columns=["fact", "value"]))])


def appendix_section(inp: ReportInputs) -> list[str]:
    return [
        "## Appendix",
        "",
        *folded(
            f"Every cell ({len(inp.summary)}): median, interval, CV (summary.csv has the rest)",
            [markdown_table(every_cell_table(inp.summary))],
        ),
        *folded("Workloads and their parameters", [markdown_table(workload_rows(inp.config))]),
        *folded("Images (at report time)", [markdown_table(image_rows(inp.identities))]),
        *environment_lines(inp.env),
        *folded("Configuration used", ["```yaml", yaml.safe_dump(inp.config, sort_keys=False).rstrip(), "```"]),
    ]
