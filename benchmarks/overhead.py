"""The workflow's own cost around the measurements, with the images already built.

Prints three figures (targets from the end-to-end issue):
- default config: whole-workflow wall time / sum of in-container measured
  seconds, warm-ups and calibration included (target <= 1.15);
- quick config: overhead per measurement, (wall - measured) / containers run
  (target <= 1.5 s; each container is one cell's repeat of a round, with its warm-up or calibration);
- a no-op rerun (target <= 5 s).

    .venv/bin/python benchmarks/overhead.py            # all three (default config takes minutes)
    .venv/bin/python benchmarks/overhead.py --quick-only
"""

import argparse

from common import measured_seconds, project_copy, timed_snakemake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick-only", action="store_true", help="skip the default config's full run")
    args = parser.parse_args()
    project = project_copy()
    timed_snakemake(project, "images")  # cached images: not part of what is measured

    quick = ("--configfile", "configs/quick.yaml")
    wall = timed_snakemake(project, *quick)
    measured, containers = measured_seconds(project)
    print(
        f"quick config: {containers} containers, wall {wall:.1f} s, measured {measured:.2f} s, "
        f"overhead per container {(wall - measured) / containers:.2f} s  (target <= 1.5 s)"
    )
    noop = timed_snakemake(project, *quick)
    print(f"no-op rerun: {noop:.2f} s  (target <= 5 s)")

    if not args.quick_only:
        for raw in (project / "results/raw").rglob("*.jsonl"):
            raw.unlink()
        wall = timed_snakemake(project)
        measured, containers = measured_seconds(project)
        print(
            f"default config: {containers} containers, wall {wall:.1f} s, measured {measured:.1f} s, "
            f"ratio {wall / measured:.3f}  (target <= 1.15)"
        )


if __name__ == "__main__":
    main()
