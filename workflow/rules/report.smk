# Aggregation and report: tidy tables from the raw records, then report.md.
# Long settings travel in files the rules read, so commands stay short.


rule experiment_files:
    # The experiment as run (config with defaults applied) and the raw files it
    # is made of; rewritten only when they change.
    output:
        config="results/config.json",
        cells="results/session/cells.txt",
    params:
        config=json.dumps(EXPERIMENT_CONFIG, sort_keys=True, indent=1),
        cells="".join(cell.raw_path + "\n" for cell in CELLS),
    log:
        "logs/experiment_files.log",
    run:
        write_if_changed(output.config, params.config)
        write_if_changed(output.cells, params.cells)


rule aggregate:
    input:
        cells="results/session/cells.txt",
        raw=[cell.raw_path for cell in CELLS],
    output:
        runs=report(update("results/runs.csv"), caption="../report/runs.rst", category="Tables"),
        summary=report(update("results/summary.csv"), caption="../report/summary.rst", category="Tables"),
        sessions=update("results/sessions.json"),
    params:
        cv=config["warnings"]["cv"],
        min_seconds=config["warnings"]["min_seconds"],
        busy=config["warnings"]["busy"],
    log:
        "logs/aggregate.log",
    shell:
        "{PY} parbench.aggregate --runs {output.runs} --summary {output.summary} "
        "--cv-limit {params.cv} --min-seconds {params.min_seconds} --busy-limit {params.busy} "
        "--sessions {output.sessions} --raw-list {input.cells} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule comparisons:
    input:
        runs="results/runs.csv",
        summary="results/summary.csv",
    output:
        comparisons=report(update("results/comparisons.csv"), caption="../report/comparisons.rst", category="Tables"),
    log:
        "logs/comparisons.log",
    shell:
        "{PY} parbench.comparisons --runs {input.runs} --summary {input.summary} --out {output.comparisons} "
        "> {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule report:
    input:
        runs="results/runs.csv",
        summary="results/summary.csv",
        comparisons="results/comparisons.csv",
        sessions="results/sessions.json",
        config="results/config.json",
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
    output:
        report=update("results/report.md"),
        claims=report(update("results/claims.csv"), caption="../report/claims.rst", category="Tables"),
        environment=update("results/environment.json"),
        figures=report(
            directory("results/figures"),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="Figures",
        ),
    params:
        label=HOST_LABEL,
    log:
        "logs/report.log",
    shell:
        "{PY} parbench.report --runs {input.runs} --summary {input.summary} --comparisons {input.comparisons} "
        "--sessions {input.sessions} --claims {output.claims} --config-file {input.config} "
        "--report {output.report} --environment {output.environment} --figures {output.figures} "
        "--host-label {params.label} "
        "{input.identities} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule publish:
    input:
        runs="results/runs.csv",
        summary="results/summary.csv",
        comparisons="results/comparisons.csv",
        claims="results/claims.csv",
        sessions="results/sessions.json",
        config="results/config.json",
        report="results/report.md",
        environment="results/environment.json",
        figures="results/figures",
        exports=EXPORTS,
        raw=[cell.raw_path for cell in CELLS],
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
        packages=expand("results/images/{name}.packages.tsv", name=["base", *RUNTIMES]),
    output:
        bundle=f"results/publish/{BUNDLE_STEM}.tar.gz",
        checksum=f"results/publish/{BUNDLE_STEM}.tar.gz.sha256",
    params:
        label=HOST_LABEL,
    log:
        "logs/publish.log",
    message:
        "Publishing {output.bundle}"
    shell:
        "{PY} parbench.bundle publish --results results --config-file {input.config} "
        "--label {params.label} --out {output.bundle} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"
