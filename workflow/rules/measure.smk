# Measurements: one job per cell, each one pinned `docker run`. Every
# measurement takes all cores the workflow has, so nothing else runs beside it.
# Rules are generated per runtime so one runtime can be remeasured alone:
#   snakemake --cores all --forcerun measure_<runtime, with - and . as _>


def measure_rule_name(runtime):
    return "measure_" + re.sub(r"[^A-Za-z0-9]", "_", runtime)


for _runtime in RUNTIMES:

    rule:
        name:
            measure_rule_name(_runtime)
        input:
            iid=f"results/images/{_runtime}.iid",
            identity=f"results/images/{_runtime}.identity.json",
        output:
            update(f"results/raw/{_runtime}/{{workload}}/{{mode}}/cpus-{{cpuset}}_w{{workers}}.jsonl"),
        params:
            runtime=_runtime,
            kind=CATALOGUE[_runtime]["kind"],
            iterations=lambda w: config["workloads"][w.workload]["iterations"],
            repeats=config["repeats"],
            warmup=config["warmup"],
            timeout=config["timeout_seconds"],
            host=HOST_LABEL,
        wildcard_constraints:
            workload=r"[a-z_]+",
            mode=r"[a-z]+",
            cpuset=r"[0-9,\-]+",
            workers=r"\d+",
        threads: lambda wildcards: workflow.cores
        log:
            f"logs/measure/{_runtime}/{{workload}}/{{mode}}/cpus-{{cpuset}}_w{{workers}}.log",
        message:
            f"Measuring {_runtime} {{wildcards.workload}} {{wildcards.mode}} on CPUs {{wildcards.cpuset}} with {{wildcards.workers}} worker(s)"
        shell:
            "{PY} parbench.measure --runtime {params.runtime} --kind {params.kind} "
            "--workload {wildcards.workload} --mode {wildcards.mode} --cpuset {wildcards.cpuset} "
            "--workers {wildcards.workers} --iterations {params.iterations} --repeats {params.repeats} "
            "--warmup {params.warmup} --timeout {params.timeout} --host-label {params.host} "
            "--iid {input.iid} --identity {input.identity} --out {output} > {log} 2>&1 "
            "|| {{ tail -n1 {log} >&2; exit 1; }}"


rule measurements:
    input:
        [cell.raw_path for cell in CELLS],
