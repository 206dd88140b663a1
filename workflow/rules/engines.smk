# Carrying the images Docker built to the engine that measures them: each
# image as a `docker save` archive with its sha256 (what a cluster node loads
# too), and, for Podman or Apptainer here, the images loaded into that engine
# and checked against their IDs (parbench.engineimages).


rule save_image:
    # The image built here, as an archive in the shared working directory, so
    # every node loads byte-identical runtimes.
    input:
        iid="results/images/{runtime}.iid",
    output:
        archive="results/images/{runtime}.tar",
        checksum="results/images/{runtime}.tar.sha256",
    wildcard_constraints:
        runtime=alternation(RUNTIMES + PLAN.derived),
    log:
        "logs/images/{runtime}.save.log",
    shell:
        logged(
            "{{ docker save --output {output.archive} $(cat {input.iid}) "
            "&& sha256sum {output.archive} > {output.checksum}; }}"
        )


# An engine other than Docker measures the images as Docker built them, from
# their archives (engineimages.py checks archive and image ID), on this machine.
rule engine_images:
    input:
        archives=expand(rules.save_image.output.archive, runtime=RUNTIMES + PLAN.derived),
        checksums=expand(rules.save_image.output.checksum, runtime=RUNTIMES + PLAN.derived),
    output:
        "results/images/loaded-{engine}.json",
    wildcard_constraints:
        engine="podman|apptainer",
    log:
        "logs/images/loaded-{engine}.log",
    message:
        "Loading the images into {wildcards.engine} (log: {log})"
    shell:
        logged(
            "{PY} parbench.engineimages --engine {wildcards.engine} --host this-machine --images results/images "
            "--runtimes " + ",".join(RUNTIMES + PLAN.derived) + " --dest results/images/{wildcards.engine} --out {output}"
        )
