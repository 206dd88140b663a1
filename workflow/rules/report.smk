# Tables and report from the raw records, for this machine or (LAYOUT) for
# each host of a cluster run: aggregate, comparisons, claims, report. Locally the raw
# files are the inputs; on a cluster a host's raw files stay on the node's
# side, listed in the manifest its session writes last.
RAW_LISTING = rules.measure.output[0] if HOSTS else rules.experiment_files.output.cells


rule aggregate:
    input:
        listing=RAW_LISTING,
        raw=[] if HOSTS else PLAN.raw_paths,
        config=rules.experiment_files.output.config,
    output:
        runs=report(update(LAYOUT.result("runs.csv")), caption="../report/runs.rst", category="Tables"),
        summary=report(update(LAYOUT.result("summary.csv")), caption="../report/summary.rst", category="Tables"),
        sessions=update(LAYOUT.result("sessions.json")),
    params:
        raw_dir=LAYOUT.result("raw"),
    log:
        LAYOUT.log("aggregate"),
    shell:
        logged(
            "{PY} parbench.aggregate --runs {output.runs} --summary {output.summary} --sessions {output.sessions} "
            "--raw-dir {params.raw_dir} --raw-list {input.listing} --config-file {input.config}"
        )


rule comparisons:
    input:
        runs=rules.aggregate.output.runs,
        summary=rules.aggregate.output.summary,
        config=rules.experiment_files.output.config,
    output:
        comparisons=report(
            update(LAYOUT.result("comparisons.csv")), caption="../report/comparisons.rst", category="Tables"
        ),
    log:
        LAYOUT.log("comparisons"),
    shell:
        logged(
            "{PY} parbench.comparisons --runs {input.runs} --summary {input.summary} "
            "--config-file {input.config} --out {output.comparisons}"
        )


rule claims:
    input:
        runs=rules.aggregate.output.runs,
        summary=rules.aggregate.output.summary,
        comparisons=rules.comparisons.output.comparisons,
        config=rules.experiment_files.output.config,
    output:
        claims=report(update(LAYOUT.result("claims.csv")), caption="../report/claims.rst", category="Tables"),
    log:
        LAYOUT.log("claims"),
    shell:
        logged(
            "{PY} parbench.decide --runs {input.runs} --summary {input.summary} --comparisons {input.comparisons} "
            "--config-file {input.config} --out {output.claims}"
        )


rule report:
    input:
        runs=rules.aggregate.output.runs,
        summary=rules.aggregate.output.summary,
        comparisons=rules.comparisons.output.comparisons,
        claims=rules.claims.output.claims,
        sessions=rules.aggregate.output.sessions,
        config=rules.experiment_files.output.config,
        identities=IDENTITIES + DERIVED_IDENTITIES,
    output:
        report=update(LAYOUT.result("report.md")),
        environment=update(LAYOUT.result("environment.json")),
        figures=report(
            directory(LAYOUT.result("figures")),
            patterns=["{name}.png"],
            caption="../report/figure.rst",
            category="Figures",
        ),
    params:
        label=lambda w: w.get("host", PLAN.host_label),
    log:
        LAYOUT.log("report"),
    shell:
        logged(
            "{PY} parbench.report --runs {input.runs} --summary {input.summary} --comparisons {input.comparisons} "
            "--sessions {input.sessions} --claims {input.claims} --config-file {input.config} "
            "--report {output.report} --environment {output.environment} --figures {output.figures} "
            "--host-label {params.label} {input.identities}"
        )
