# Many machines, one command: with `hosts` set, every named SLURM node gets
# its own exclusive measurement session (submitted through Snakemake's SLURM
# executor, `--profile profiles/slurm`), after loading the images built once
# here. The same rules as on one machine then measure, aggregate and report
# each host under results/hosts/<node>/ (LAYOUT), and the hosts are merged
# into results/merged/ with the host as a dimension. Rules that need no node
# of their own run where the workflow was started.

from parbench.slurm import node_options


localrules:
    session_settings,
    session_budget,
    experiment_files,
    node_experiment,
    fetch_source,
    base_image,
    cpython_image,
    go_image,
    image_identity,
    workload_image,
    images,
    save_image,
    engine_images,
    aggregate,
    comparisons,
    claims,
    report,
    merge_hosts,
    all,


CLUSTER_RESOURCES = {f"slurm_{key}": value for key, value in (config.get("cluster") or {}).items() if value}
HOST = "results/hosts/{host}"
RUNTIMES_ARG = ",".join(RUNTIMES + PLAN.derived)  # and each user workload's own images


def host_engine(wildcards):
    """A node's engine: its own in host_engines, else the config's."""
    return config["host_engines"].get(wildcards.host, config["engine"])


rule probe_host:
    # Each node answers for its engine before anything is built.
    output:
        HOST + "/probe.json",
    params:
        engine=host_engine,
    resources:
        **CLUSTER_RESOURCES,
        slurm_extra=lambda w: node_options(w.host),
    log:
        "logs/hosts/{host}/probe.log",
    shell:
        logged("{PY} parbench.hostsession probe --host {wildcards.host} --engine {params.engine} --out {output}")


rule load_images:
    input:
        archives=expand(rules.save_image.output.archive, runtime=RUNTIMES + PLAN.derived),
        checksums=expand(rules.save_image.output.checksum, runtime=RUNTIMES + PLAN.derived),
    output:
        HOST + "/images.json",
    params:
        engine=host_engine,
    resources:
        **CLUSTER_RESOURCES,
        slurm_extra=lambda w: node_options(w.host),
    log:
        "logs/hosts/{host}/load.log",
    shell:
        logged(
            "{PY} parbench.engineimages --engine {params.engine} --host {wildcards.host} --images results/images "
            "--runtimes {RUNTIMES_ARG} --dest results/hosts/{wildcards.host}/images --out {output}"
        )


rule merge_hosts:
    input:
        runs=expand(LAYOUT.result("runs.csv"), host=HOSTS),
        sessions=expand(LAYOUT.result("sessions.json"), host=HOSTS),  # each host's rounds rule
        config="results/config.json",
    output:
        runs="results/merged/runs.csv",
        summary="results/merged/summary.csv",
        ratios="results/merged/ratios.csv",
        report="results/merged/report.md",
    log:
        "logs/merge_hosts.log",
    shell:
        logged(
            "{PY} parbench.merge --out-dir results/merged --config {input.config} {input.runs} "
            "--sessions {input.sessions}"
        )
