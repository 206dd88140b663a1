# Measurements: one session job that runs every cell in interleaved rounds,
# one pinned `docker run` per cell and round. It takes all cores the workflow
# has, so nothing else runs beside it. Remeasure one runtime alone with
#   snakemake --cores all --forcerun measure --config remeasure=[go]
# which makes the session's outputs that runtime's cells only.


rule session_settings:
    # What the session measures, in a file: a changed value rewrites it (and so
    # remeasures); an unchanged one keeps its date, so nothing is remeasured.
    output:
        "results/session/settings.json",
    params:
        settings=SESSION_SETTINGS,
    log:
        "logs/session_settings.log",
    run:
        write_if_changed(output[0], params.settings)


rule measure:
    input:
        renew=SESSION_RENEWAL,
        settings="results/session/settings.json",
        iids=expand("results/images/{runtime}.iid", runtime=RUNTIMES),
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        [update(cell.raw_path) for cell in MEASURED_CELLS],
    threads: lambda wildcards: workflow.cores
    log:
        "logs/measure.log",
    message:
        "Measuring {n} cell(s) in {r} interleaved round(s) (detail: logs/measure.log)".format(
            n=len(MEASURED_CELLS), r=config["repeats"]
        )
    shell:
        # Timeout, retries and host label change nothing that is measured, so
        # they are passed here, not as params (a changed param remeasures).
        "{PY} parbench.measure --settings {input.settings} --images results/images "
        "--host-label {HOST_LABEL} --timeout {config[timeout_seconds]} --retries {config[retries]} "
        "--log {log}{NARROWING}"


rule measurements:
    input:
        [cell.raw_path for cell in CELLS],
