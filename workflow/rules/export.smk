# Exports for other tools, from this machine's results/runs.csv: pyperf JSON
# (one file per runtime and variant) and Go's benchmark format for benchstat;
# and the published bundle of this machine's results. A cluster run's
# results are results/merged/ and results/hosts/<node>/, so neither applies.
from parbench.export import stem

# One pyperf file per runtime and variant the experiment measures, the A/A twin included.
PYPERF_FILES = expand("results/pyperf/{stem}.json", stem=sorted({stem(cell.runtime, cell.variant) for cell in PLAN.cells}))
EXPORTS = [*PYPERF_FILES, "results/benchfmt.txt"]

if not HOSTS:

    # Local, as hosts.smk's localrules are; named here, since on a cluster these rules do not exist.
    rule export:
        localrule: True
        input:
            runs=rules.aggregate.output.runs,
        output:
            pyperf=[update(path) for path in PYPERF_FILES],
            benchfmt=update(EXPORTS[-1]),
        log:
            "logs/export.log",
        shell:
            logged(
                "{PY} parbench.export --runs {input.runs} --pyperf-dir results/pyperf --benchfmt {output.benchfmt}"
            )

    rule publish:
        localrule: True
        input:
            runs=rules.aggregate.output.runs,
            summary=rules.aggregate.output.summary,
            sessions=rules.aggregate.output.sessions,
            comparisons=rules.comparisons.output.comparisons,
            claims=rules.claims.output.claims,
            report=rules.report.output.report,
            environment=rules.report.output.environment,
            figures=rules.report.output.figures,
            config=rules.experiment_files.output.config,
            exports=rules.export.output,
            raw=PLAN.raw_paths,
            identities=IDENTITIES,
            packages=expand("results/images/{name}.packages.tsv", name=["base", *RUNTIMES]),
        output:
            bundle=f"results/publish/{PLAN.bundle_stem}.tar.gz",
            checksum=f"results/publish/{PLAN.bundle_stem}.tar.gz.sha256",
        params:
            label=PLAN.host_label,
        log:
            "logs/publish.log",
        message:
            "Publishing {output.bundle}"
        shell:
            logged(
                "{PY} parbench.bundle publish --results results --config-file {input.config} "
                "--label {params.label} --out {output.bundle}"
            )
