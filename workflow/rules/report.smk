# Aggregation and report: tidy tables from the raw records, then report.md.


rule aggregate:
    input:
        raw=[cell.raw_path for cell in CELLS],
    output:
        runs=update("results/runs.csv"),
        summary=update("results/summary.csv"),
    log:
        "logs/aggregate.log",
    shell:
        "{PY} parbench.aggregate --runs {output.runs} --summary {output.summary} {input.raw} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule report:
    input:
        runs="results/runs.csv",
        summary="results/summary.csv",
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        report=update("results/report.md"),
        environment=update("results/environment.json"),
        figures=directory("results/figures"),
    params:
        config=json.dumps(config, sort_keys=True),
    log:
        "logs/report.log",
    shell:
        "{PY} parbench.report --runs {input.runs} --summary {input.summary} --config-json {params.config:q} "
        "--report {output.report} --environment {output.environment} --figures {output.figures} "
        "{input.identities} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"
