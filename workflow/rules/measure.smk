# Measurements: one session job that runs every cell in interleaved rounds,
# one pinned `docker run` per cell and round. It takes all cores the workflow
# has, so nothing else runs beside it. Remeasure one runtime alone with
#   snakemake --cores all --forcerun measure --config remeasure=[go]
# which makes the session's outputs that runtime's cells only.


rule measure:
    input:
        iids=expand("results/images/{runtime}.iid", runtime=RUNTIMES),
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        [update(cell.raw_path) for cell in MEASURED_CELLS],
    params:
        settings=json.dumps(
            {
                "repeats": config["repeats"],
                "warmup": config["warmup"],
                "timeout": config["timeout_seconds"],
                "seed": config["seed"],
                "params": {name: workload_params(w) for name, w in enabled_workloads(config).items()},
                "env": {name: v["env"] for name, v in config["variants"].items()},
            },
            sort_keys=True,
        ),
        host=HOST_LABEL,
    threads: lambda wildcards: workflow.cores
    log:
        "logs/measure.log",
    message:
        "Measuring {n} cell(s) in {r} interleaved round(s) (progress: logs/measure.log)".format(
            n=len(MEASURED_CELLS), r=config["repeats"]
        )
    shell:
        "{PY} parbench.measure --settings-json {params.settings:q} --images results/images "
        "--host-label {params.host} {output} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule measurements:
    input:
        [cell.raw_path for cell in CELLS],
