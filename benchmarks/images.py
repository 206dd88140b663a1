"""Cold build time of every image of the default config, and the no-op rerun time.

Runs in a private copy of the project with PARBENCH_NO_CACHE=1, so the base
root file system and every layer are really rebuilt (target on 2 cores: all
three images in at most 8 minutes), then runs the same target again (target:
a no-op in at most 5 s).

    .venv/bin/python benchmarks/images.py
"""

from common import project_copy, timed_snakemake


def main() -> None:
    project = project_copy()
    cold = timed_snakemake(project, "images", env={"PARBENCH_NO_CACHE": "1"})
    noop = timed_snakemake(project, "images")
    print(f"cold build of base + cpython-3.13 + cpython-3.13t + go: {cold:7.1f} s  (target <= 480 s)")
    print(f"no-op rerun of the images target:                      {noop:7.1f} s  (target <= 5 s)")


if __name__ == "__main__":
    main()
