"""The workflow's own cost around the measurements, with the images already built.

Prints three figures (targets from the end-to-end issue):
- default config: whole-workflow wall time / sum of in-container measured
  seconds, warm-ups included (target <= 1.15);
- tiny config: overhead per measurement job, (wall - measured) / jobs
  (target <= 1.5 s);
- a no-op rerun (target <= 5 s).

    .venv/bin/python benchmarks/overhead.py            # all three (default config takes minutes)
    .venv/bin/python benchmarks/overhead.py --tiny-only
"""

import argparse

from common import measured_seconds, project_copy, timed_snakemake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny-only", action="store_true", help="skip the default config's full run")
    args = parser.parse_args()
    project = project_copy()
    timed_snakemake(project, "images")  # cached images: not part of what is measured

    tiny = ("--configfile", "tests/configs/tiny.yaml")
    wall = timed_snakemake(project, *tiny)
    measured, jobs = measured_seconds(project)
    print(f"tiny config: {jobs} jobs, wall {wall:.1f} s, measured {measured:.2f} s, "
          f"overhead per job {(wall - measured) / jobs:.2f} s  (target <= 1.5 s)")
    noop = timed_snakemake(project, *tiny)
    print(f"no-op rerun: {noop:.2f} s  (target <= 5 s)")

    if not args.tiny_only:
        for raw in (project / "results/raw").rglob("*.jsonl"):
            raw.unlink()
        wall = timed_snakemake(project)
        measured, jobs = measured_seconds(project)
        print(f"default config: {jobs} jobs, wall {wall:.1f} s, measured {measured:.1f} s, "
              f"ratio {wall / measured:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
