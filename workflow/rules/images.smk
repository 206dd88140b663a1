# Images: a Debian base made here, then one image per runtime built on it.
# Each rule's output is the image ID, written by the build itself.


def context_files(folder):
    return sorted(str(p) for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)


rule fetch_source:
    output:
        "resources/{source}",
    params:
        sha256=lambda w: config["sources"][w.source]["sha256"],
        urls=lambda w: config["sources"][w.source]["urls"],
    wildcard_constraints:
        source=alternation(config.get("sources", {})),
    log:
        "logs/fetch/{source}.log",
    message:
        "Fetching {wildcards.source}"
    shell:
        "{PY} parbench.fetch --name {wildcards.source:q} --sha256 {params.sha256} "
        "--dest {output:q} {params.urls:q} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule base_image:
    input:
        renew=renewal("base"),
        probes=expand("results/hosts/{host}/probe.json", host=HOSTS),
    output:
        iid="results/images/base.iid",
        packages="results/images/base.packages.tsv",
    params:
        base=json.dumps(config["base"], sort_keys=True),
    log:
        "logs/images/base.log",
    message:
        "Building the base image ({config[base][method]}: {config[base][suite]})"
    shell:
        "{PY} parbench.images base --config-json {params.base:q} --iid {output.iid} "
        "--packages {output.packages} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule cpython_image:
    input:
        dockerfile="containers/cpython/Dockerfile",
        base="results/images/base.iid",
        source=lambda w: f"resources/{CATALOGUE[w.runtime]['source']}",
        harness=context_files("workloads/python"),
        renew=lambda w: renewal(w.runtime),
    output:
        iid="results/images/{runtime}.iid",
    params:
        entry=lambda w: json.dumps(CATALOGUE[w.runtime], sort_keys=True),
    wildcard_constraints:
        runtime=alternation(runtimes_of_kind("cpython")),
    threads: lambda wildcards: workflow.cores
    log:
        "logs/images/{runtime}.log",
    message:
        "Building image {wildcards.runtime} (log: {log})"
    shell:
        "{PY} parbench.images build --runtime {wildcards.runtime} --entry-json {params.entry:q} "
        "--base-iid {input.base} --iid {output.iid} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule go_image:
    input:
        dockerfile="containers/go/Dockerfile",
        base="results/images/base.iid",
        harness=context_files("workloads/go"),
        renew=lambda w: renewal(w.runtime),
    output:
        iid="results/images/{runtime}.iid",
    params:
        entry=lambda w: json.dumps(CATALOGUE[w.runtime], sort_keys=True),
    wildcard_constraints:
        runtime=alternation(runtimes_of_kind("go")),
    threads: lambda wildcards: workflow.cores
    log:
        "logs/images/{runtime}.log",
    message:
        "Building image {wildcards.runtime} (log: {log})"
    shell:
        "{PY} parbench.images build --runtime {wildcards.runtime} --entry-json {params.entry:q} "
        "--base-iid {input.base} --iid {output.iid} > {log} 2>&1 || {{ tail -n1 {log} >&2; exit 1; }}"


rule image_identity:
    input:
        iid="results/images/{runtime}.iid",
    output:
        identity="results/images/{runtime}.identity.json",
        packages="results/images/{runtime}.packages.tsv",
    params:
        entry=lambda w: json.dumps(CATALOGUE[w.runtime], sort_keys=True),
    wildcard_constraints:
        runtime=alternation(RUNTIMES),
    log:
        "logs/images/{runtime}.identity.log",
    shell:
        "{PY} parbench.images identity --runtime {wildcards.runtime} --entry-json {params.entry:q} "
        "--iid {input.iid} --out {output.identity} --packages {output.packages} > {log} 2>&1 "
        "|| {{ tail -n1 {log} >&2; exit 1; }}"


rule images:
    input:
        expand("results/images/{runtime}.identity.json", runtime=RUNTIMES),
