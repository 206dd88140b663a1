# Aggregation and report: tidy tables from the raw records, then report.md.


rule aggregate:
    input:
        raw=[cell.raw_path for cell in CELLS],
    output:
        runs=report(update("results/runs.csv"), caption="../report/runs.rst", category="Tables"),
        summary=report(update("results/summary.csv"), caption="../report/summary.rst", category="Tables"),
    params:
        cv=config["warnings"]["cv"],
        min_seconds=config["warnings"]["min_seconds"],
        busy=config["warnings"]["busy"],
    log:
        "logs/aggregate.log",
    shell:
        "{PY} parbench.aggregate --runs {output.runs} --summary {output.summary} "
        "--cv-limit {params.cv} --min-seconds {params.min_seconds} --busy-limit {params.busy} {input.raw} "
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
        config=json.dumps(EXPERIMENT_CONFIG, sort_keys=True),
        label=HOST_LABEL,
    log:
        "logs/report.log",
    shell:
        "{PY} parbench.report --runs {input.runs} --summary {input.summary} --comparisons {input.comparisons} "
        "--sessions {input.sessions} --claims {output.claims} --config-json {params.config:q} "
        "--report {output.report} --environment {output.environment} --figures {output.figures} "
        "--host-label {params.label} "
        "{input.identities} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule publish:
    input:
        runs="results/runs.csv",
        summary="results/summary.csv",
        report="results/report.md",
        environment="results/environment.json",
        figures="results/figures",
        raw=[cell.raw_path for cell in CELLS],
        identities=expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
        packages=expand("results/images/{name}.packages.tsv", name=["base", *RUNTIMES]),
    output:
        bundle=f"results/publish/{BUNDLE_STEM}.tar.gz",
        checksum=f"results/publish/{BUNDLE_STEM}.tar.gz.sha256",
    params:
        config=json.dumps(EXPERIMENT_CONFIG, sort_keys=True),
        label=HOST_LABEL,
    log:
        "logs/publish.log",
    message:
        "Publishing {output.bundle}"
    shell:
        "{PY} parbench.bundle publish --results results --config-json {params.config:q} "
        "--label {params.label} --out {output.bundle} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"
