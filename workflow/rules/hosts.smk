# Many machines, one command: with `hosts` set, every named SLURM node gets
# its own exclusive measurement session (submitted through Snakemake's SLURM
# executor, `--profile profiles/slurm`), after loading the images built once
# here; each host is aggregated and reported apart under results/hosts/<node>/,
# then merged into results/merged/ with the host as a dimension.
# Rules that need no node of their own run where the workflow was started.


localrules:
    session_settings,
    experiment_files,
    fetch_source,
    base_image,
    cpython_image,
    go_image,
    image_identity,
    images,
    save_image,
    aggregate,
    aggregate_host,
    comparisons,
    comparisons_host,
    report,
    report_host,
    export,
    merge_hosts,
    publish,
    all,


HOST = "results/hosts/{host}"


def on_node(host, exclusive=False):
    """sbatch options that put a job on this node (alone on it, for a measurement)."""
    return f"{'--exclusive ' if exclusive else ''}--nodelist={host}"


rule probe_host:
    # Each node answers for its Docker engine before anything is built.
    output:
        HOST + "/probe.json",
    resources:
        **CLUSTER_RESOURCES,
        slurm_extra=lambda w: on_node(w.host),
    log:
        "logs/hosts/{host}/probe.log",
    shell:
        "{PY} parbench.hostsession probe --host {wildcards.host} --out {output} > {log} 2>&1 "
        "|| {{ tail -n1 {log} >&2; exit 1; }}"


rule save_image:
    # The image built here, as an archive in the shared working directory, so
    # every node loads byte-identical runtimes.
    input:
        iid="results/images/{runtime}.iid",
    output:
        archive="results/images/{runtime}.tar",
        checksum="results/images/{runtime}.tar.sha256",
    wildcard_constraints:
        runtime=alternation(RUNTIMES),
    log:
        "logs/images/{runtime}.save.log",
    shell:
        "docker save --output {output.archive} $(cat {input.iid}) > {log} 2>&1 "
        "&& sha256sum {output.archive} > {output.checksum} || {{ tail -n1 {log} >&2; exit 1; }}"


rule load_images:
    input:
        archives=expand("results/images/{runtime}.tar", runtime=RUNTIMES),
        checksums=expand("results/images/{runtime}.tar.sha256", runtime=RUNTIMES),
    output:
        HOST + "/images.json",
    resources:
        **CLUSTER_RESOURCES,
        slurm_extra=lambda w: on_node(w.host),
    log:
        "logs/hosts/{host}/load.log",
    shell:
        "{PY} parbench.hostsession load --host {wildcards.host} --images results/images "
        "--runtimes {RUNTIMES_ARG} --out {output} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule measure_host:
    # The host's whole session in one exclusive job with every CPU of the node
    # (SLURM confines a job to its `threads` even with --exclusive).
    input:
        loaded=HOST + "/images.json",
        settings="results/session/settings.json",
        config=ancient("results/config.json"),
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        update(HOST + "/raw.json"),
    threads: lambda w: host_cpus(w.host)
    resources:
        **CLUSTER_RESOURCES,
        slurm_extra=lambda w: on_node(w.host, exclusive=True),
    log:
        "logs/hosts/{host}/measure.log",
    shell:
        "{PY} parbench.hostsession measure --host {wildcards.host} --images results/images "
        "--config {input.config} --settings {input.settings} --out results/hosts/{wildcards.host}/raw "
        "--state results/hosts/{wildcards.host}/session --manifest {output} "
        "--timeout {config[timeout_seconds]} --retries {config[retries]} --log {log}"


rule aggregate_host:
    input:
        HOST + "/raw.json",
    output:
        runs=update(HOST + "/runs.csv"),
        summary=update(HOST + "/summary.csv"),
        sessions=update(HOST + "/sessions.json"),
    params:
        cv=config["warnings"]["cv"],
        min_seconds=config["warnings"]["min_seconds"],
        busy=config["warnings"]["busy"],
    log:
        "logs/hosts/{host}/aggregate.log",
    shell:
        "{PY} parbench.aggregate --runs {output.runs} --summary {output.summary} --sessions {output.sessions} "
        "--raw-dir results/hosts/{wildcards.host}/raw --raw-list {input} "
        "--cv-limit {params.cv} --min-seconds {params.min_seconds} --busy-limit {params.busy} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule comparisons_host:
    input:
        runs=HOST + "/runs.csv",
        summary=HOST + "/summary.csv",
    output:
        update(HOST + "/comparisons.csv"),
    log:
        "logs/hosts/{host}/comparisons.log",
    shell:
        "{PY} parbench.comparisons --runs {input.runs} --summary {input.summary} --out {output} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule report_host:
    input:
        runs=HOST + "/runs.csv",
        summary=HOST + "/summary.csv",
        comparisons=HOST + "/comparisons.csv",
        sessions=HOST + "/sessions.json",
        config="results/config.json",
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        report=update(HOST + "/report.md"),
        claims=update(HOST + "/claims.csv"),
        environment=update(HOST + "/environment.json"),
        figures=directory(HOST + "/figures"),
    log:
        "logs/hosts/{host}/report.log",
    shell:
        "{PY} parbench.report --runs {input.runs} --summary {input.summary} --comparisons {input.comparisons} "
        "--sessions {input.sessions} --claims {output.claims} --config-file {input.config} "
        "--report {output.report} --environment {output.environment} --figures {output.figures} "
        "--host-label {wildcards.host} {input.identities} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule merge_hosts:
    input:
        runs=expand("results/hosts/{host}/runs.csv", host=HOSTS),
        config="results/config.json",
    output:
        runs="results/merged/runs.csv",
        summary="results/merged/summary.csv",
        report="results/merged/report.md",
    log:
        "logs/merge_hosts.log",
    shell:
        "{PY} parbench.merge --out-dir results/merged --config {input.config} {input.runs} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"
