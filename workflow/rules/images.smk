# Images: a Debian base made here, then one image per runtime built on it.
# Each rule's output is the image ID, written by the build itself.


def context_files(folder):
    """An image's build context, listed when the DAG is built (not while this file is read)."""
    return lambda wildcards: sorted(
        str(p) for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def runtimes_of_kind(kind):
    return [r for r in RUNTIMES if CATALOGUE[r]["kind"] == kind]


def catalogue_entry(wildcards):
    return json.dumps(CATALOGUE[wildcards.runtime], sort_keys=True)


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
        logged("{PY} parbench.fetch --name {wildcards.source:q} --sha256 {params.sha256} --dest {output:q} {params.urls:q}")


BASE_UNBUILT = "base" in PLAN.gone_images or not Path("results/images/base.iid").exists()


rule base_image:
    input:
        renew=renewal("base"),
        # Each node's engine answers before the first build. Not an input once the image is built: a new
        # host's probe would make this job run, and with it every image and every node's session.
        probes=ancient(expand(rules.probe_host.output[0], host=HOSTS)) if BASE_UNBUILT else [],
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
        logged("{PY} parbench.images base --config-json {params.base:q} --iid {output.iid} --packages {output.packages}")


BUILD = logged(
    "{PY} parbench.images build --runtime {wildcards.runtime} --entry-json {params.entry:q} "
    "--base-iid {input.base} --iid {output.iid}"
)


rule cpython_image:
    input:
        dockerfile="containers/cpython/Dockerfile",
        base=rules.base_image.output.iid,
        source=lambda w: f"resources/{CATALOGUE[w.runtime]['source']}",
        harness=context_files("workloads/python"),
        renew=lambda w: renewal(w.runtime),
    output:
        iid="results/images/{runtime}.iid",
    params:
        entry=catalogue_entry,
    wildcard_constraints:
        runtime=alternation(runtimes_of_kind("cpython")),
    threads: lambda wildcards: workflow.cores
    log:
        "logs/images/{runtime}.log",
    message:
        "Building image {wildcards.runtime} (log: {log})"
    shell:
        BUILD


rule go_image:
    input:
        dockerfile="containers/go/Dockerfile",
        base=rules.base_image.output.iid,
        harness=context_files("workloads/go"),
        renew=lambda w: renewal(w.runtime),
    output:
        iid="results/images/{runtime}.iid",
    params:
        entry=catalogue_entry,
    wildcard_constraints:
        runtime=alternation(runtimes_of_kind("go")),
    threads: lambda wildcards: workflow.cores
    log:
        "logs/images/{runtime}.log",
    message:
        "Building image {wildcards.runtime} (log: {log})"
    shell:
        BUILD


USER_FOLDERS = {spec["name"]: spec["path"] for spec in PLAN.experiment.get("user_workloads", [])}


def derived_inputs(wildcards):
    """What a user workload's image is made from: its requirements.txt, or its Go twin's files."""
    folder = Path(USER_FOLDERS[wildcards.workload])
    if CATALOGUE[wildcards.runtime]["kind"] == "cpython":
        return [str(folder / "requirements.txt"), "containers/cpython-packages/Dockerfile"]
    return context_files(folder / "go")(wildcards) + ["containers/go-twin/Dockerfile"]


rule workload_image:
    input:
        runtime="results/images/{runtime}.iid",
        made_from=derived_inputs,
        renew=lambda w: renewal(f"{w.runtime}+{w.workload}"),
    output:
        iid="results/images/{runtime}+{workload}.iid",
    params:
        kind=lambda w: CATALOGUE[w.runtime]["kind"],
        folder=lambda w: USER_FOLDERS[w.workload],
    wildcard_constraints:
        runtime=alternation(RUNTIMES),
        workload=alternation(USER_FOLDERS),
    log:
        "logs/images/{runtime}+{workload}.log",
    message:
        "Building image {wildcards.runtime}+{wildcards.workload} for your workload (log: {log})"
    shell:
        logged(
            "{PY} parbench.derived --runtime {wildcards.runtime} --kind {params.kind} "
            "--workload {wildcards.workload} --folder {params.folder:q} --runtime-iid {input.runtime} --iid {output.iid}"
        )


rule image_identity:
    input:
        iid="results/images/{runtime}.iid",  # made by cpython_image, go_image or workload_image
    output:
        identity="results/images/{runtime}.identity.json",
        packages="results/images/{runtime}.packages.tsv",
    params:
        entry=lambda w: json.dumps(CATALOGUE[w.runtime.split("+")[0]], sort_keys=True),
    wildcard_constraints:
        runtime=alternation(RUNTIMES + PLAN.derived),
    log:
        "logs/images/{runtime}.identity.log",
    shell:
        logged(
            "{PY} parbench.images identity --runtime {wildcards.runtime} --entry-json {params.entry:q} "
            "--iid {input.iid} --out {output.identity} --packages {output.packages}"
        )


IDENTITIES = expand(rules.image_identity.output.identity, runtime=RUNTIMES)
DERIVED_IDENTITIES = expand(rules.image_identity.output.identity, runtime=PLAN.derived)


rule images:
    input:
        IDENTITIES,
        DERIVED_IDENTITIES,
