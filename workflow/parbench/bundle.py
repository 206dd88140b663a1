"""Publishable result bundles: build one, verify one, merge several.

A bundle is a tar.gz holding everything a reader needs to trust and rerun a
result (tables, report, figures, raw records, image identities and package
lists, the config used, the environment) and a manifest with the sha256 of
every file, so any edit is found and named. Bundles from several machines
merge into one set of tables with the host as a dimension.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from .aggregate import latest_settings, read_table, runs_table
from .atomic import atomic_path, write_text_atomic
from .errors import ParbenchError, main_guard
from .merge import merged, write_merged
from .names import warning_limits
from .specs import expected_checksum_of, use_experiment, use_user_workloads

BUNDLE_FORMAT = 1
RECORD_SCHEMA = 1
MANIFEST = "MANIFEST.sha256"
META = "bundle.json"
# Published when present: bundles made before these files existed still verify and merge.
OPTIONAL_FILES = ("comparisons.csv", "claims.csv", "sessions.json", "config.json", "benchfmt.txt")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_stem(label: str, date: str, commit: str) -> str:
    return f"parbench-{label}-{date}-{commit}"


def manifest_text(files: dict[str, bytes]) -> str:
    """sha256sum's format, so `sha256sum -c` works on an unpacked bundle too."""
    return "".join(f"{sha256_hex(files[name])}  {name}\n" for name in sorted(files))


def parse_manifest(text: str) -> dict[str, str]:
    entries = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ParbenchError(f"{MANIFEST} has a malformed line: {line[:80]!r}")
        entries[name] = digest
    return entries


def collect_results(results: Path, config: dict, label: str) -> dict[str, bytes]:
    """The files of a bundle, by their name inside it."""
    files: dict[str, bytes] = {}
    for name in ("runs.csv", "summary.csv", "report.md", "environment.json"):
        files[name] = (results / name).read_bytes()
    for name in OPTIONAL_FILES:
        if (results / name).is_file():
            files[name] = (results / name).read_bytes()
    for pattern in (
        "figures/*.png",
        "raw/**/*.jsonl",
        "raw/sessions/*.json",
        "pyperf/*.json",
        "images/*.iid",
        "images/*.identity.json",
        "images/*.packages.tsv",
    ):
        for path in sorted(results.glob(pattern)):
            files[path.relative_to(results).as_posix()] = path.read_bytes()
    files["config.yaml"] = yaml.safe_dump(config, sort_keys=False).encode()
    stamps = json.loads(files.get("sessions.json", b'{"sessions": []}'))["sessions"]
    files[META] = json.dumps(
        {
            "bundle_format": BUNDLE_FORMAT,
            "record_schema": RECORD_SCHEMA,
            "host_label": label,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **measuring_code(stamps),
        },
        indent=2,
    ).encode()
    return files


def measuring_code(stamps: list[dict]) -> dict:
    """The commit that measured, from the session stamps (not the checkout at publishing time).

    Several sessions with different commits give `git_commit` None and list each.
    """
    commits = {stamp.get("git_commit") for stamp in stamps}
    single = len(commits) == 1
    return {
        "git_commit": commits.pop() if single else None,
        "git_clean": all(stamp.get("git_clean") for stamp in stamps) if stamps else None,
        "sessions": [
            {key: stamp.get(key) for key in ("session", "git_commit", "git_clean", "started_at")} for stamp in stamps
        ],
    }


def write_bundle(out: Path, files: dict[str, bytes]) -> str:
    """Write the tar.gz (manifest included) and its .sha256; return the tarball's digest."""
    stem = out.name.removesuffix(".tar.gz")
    members = dict(files, **{MANIFEST: manifest_text(files).encode()})
    with atomic_path(out) as tmp:
        with tarfile.open(tmp, "w:gz") as tar:
            for name in sorted(members):
                info = tarfile.TarInfo(f"{stem}/{name}")
                info.size = len(members[name])
                info.mode = 0o644
                info.mtime = 0  # bundles differ only where their content does
                tar.addfile(info, io.BytesIO(members[name]))
        digest = sha256_hex(tmp.read_bytes())
    write_text_atomic(out.with_name(out.name + ".sha256"), f"{digest}  {out.name}\n")
    return digest


def read_bundle(path: Path) -> dict[str, bytes]:
    """Every regular file of a bundle, by its name inside the bundle."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            files = {}
            for member in tar.getmembers():
                if member.isfile():
                    _, _, name = member.name.partition("/")
                    files[name] = tar.extractfile(member).read()
    except (OSError, tarfile.TarError, EOFError) as error:
        raise ParbenchError(f"{path} is not a readable bundle ({error})") from None
    return files


def verify_problems(path: Path, recompute: bool = True) -> list[str]:
    """Everything wrong with a bundle, each naming the file concerned."""
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.exists():
        wanted = sidecar.read_text().split()[0]
        if sha256_hex(path.read_bytes()) != wanted:
            return [f"{path.name} does not match {sidecar.name}: the bundle was changed or damaged"]
    files = read_bundle(path)
    if MANIFEST not in files:
        return [f"{path.name} has no {MANIFEST}"]
    listed = parse_manifest(files.pop(MANIFEST).decode())
    problems = []
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"{name} is listed in the manifest but missing from {path.name}")
        elif sha256_hex(files[name]) != digest:
            problems.append(f"{name} in {path.name} was changed after publishing (sha256 differs from the manifest)")
    problems += [f"{name} in {path.name} is not in the manifest" for name in sorted(set(files) - set(listed))]
    if problems or not recompute:
        return problems
    runs = read_table(io.BytesIO(files["runs.csv"]))
    use_experiment(yaml.safe_load(files.get("config.yaml", b"")) or {})  # the user workloads it measured
    for (workload, params, workers, units), group in runs.groupby(["workload", "params", "workers", "units"]):
        expected = expected_checksum_of(workload, params, int(workers), int(units))
        # A user workload's code is not run here: its records must agree with each other.
        expected = float(group["checksum"].iloc[0]) if expected is None else expected
        wrong = group[group["checksum"] != expected]
        if not wrong.empty:
            problems.append(
                f"runs.csv in {path.name}: {len(wrong)} record(s) of {workload} ({params}, {workers} worker(s)) "
                f"have checksum {float(wrong['checksum'].iloc[0])!r}, recomputed {expected!r}"
            )
    return problems


def bundle_records(path: Path, name: str, data: bytes) -> list[dict]:
    """The records of one raw file of a bundle, refused unless their schema is this parbench's."""
    records = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
    for record in records:
        if record.get("schema") != RECORD_SCHEMA:
            raise ParbenchError(
                f"refusing {path.name}: {name} has record schema {record.get('schema')}, expected {RECORD_SCHEMA}"
            )
    return records


def checked_bundle(path: Path) -> tuple[dict[str, bytes], dict]:
    """A bundle's files and its metadata, refused unless it verifies and has this parbench's format."""
    problems = verify_problems(path, recompute=False)
    if problems:
        raise ParbenchError(f"refusing {path.name}: {problems[0]}")
    files = read_bundle(path)
    meta = json.loads(files[META])
    if meta.get("bundle_format") != BUNDLE_FORMAT or meta.get("record_schema") != RECORD_SCHEMA:
        raise ParbenchError(
            f"refusing {path.name}: bundle format {meta.get('bundle_format')} with record schema "
            f"{meta.get('record_schema')}; this parbench reads format {BUNDLE_FORMAT}, schema {RECORD_SCHEMA}"
        )
    return files, meta


def agreed_warnings(configs: dict[str, dict]) -> dict | None:
    """The warning limits every bundle's config used; one line naming them when they differ."""
    limits = {label: config.get("warnings") for label, config in configs.items()}
    # A bundle from before a limit existed used its default: compare with the defaults filled in.
    distinct = {json.dumps(warning_limits(value), sort_keys=True) for value in limits.values()}
    if len(distinct) > 1:
        listed = "; ".join(f"{label}: {value}" for label, value in sorted(limits.items()))
        raise ParbenchError(f"the bundles' warning limits differ ({listed}); name the ones to use with --config FILE")
    return next(iter(limits.values()), None)


def merge_bundles(
    paths: list[Path], warnings: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict[str, dict]]:
    """runs and summary tables over several bundles, the union of their catalogues, and each host's settings.

    The summary is `merge.merged`'s, as a cluster merge makes it, with the
    given warning limits or else the ones the bundles' configs agree on. The
    settings are each bundle's latest session's, so the report can say what
    each host's budget cut.
    """
    records: list[dict] = []
    catalogue: dict = {}
    configs: dict[str, dict] = {}
    settings_of: dict[str, dict] = {}
    labels: dict[str, Path] = {}
    for path in paths:
        files, meta = checked_bundle(path)
        label = meta["host_label"]
        if label in labels:
            raise ParbenchError(
                f"{path.name} and {labels[label].name} share host label {label!r}; set host_label to tell them apart"
            )
        labels[label] = path
        for name, data in sorted(files.items()):
            if name.startswith("raw/") and name.endswith(".jsonl"):
                records += bundle_records(path, name, data)
        configs[label] = yaml.safe_load(files["config.yaml"]) or {}
        settings_of[label] = latest_settings(json.loads(files.get("sessions.json", b'{"sessions": []}'))["sessions"])
        for runtime, entry in configs[label].get("catalogue", {}).items():
            catalogue.setdefault(runtime, entry)
    use_user_workloads(spec for config in configs.values() for spec in config.get("user_workloads") or [])
    runs, summary = merged(runs_table(records), warnings if warnings is not None else agreed_warnings(configs))
    return runs, summary, catalogue, settings_of


def config_warnings(path: Path) -> dict:
    """The `warnings` mapping of a config file (YAML or JSON), or one line saying what is wrong with it."""
    if not path.is_file():
        raise ParbenchError(f"{path} does not exist; name a config file whose `warnings` to use")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ParbenchError(
            f"{path} is not valid YAML ({str(error).splitlines()[0]}); fix it or leave out --config"
        ) from None
    if config is None:
        return {}
    if not isinstance(config, dict) or not isinstance(config.get("warnings", {}), dict):
        raise ParbenchError(f"{path} must be a mapping with a `warnings` mapping (cv, min_seconds, busy, uneven)")
    return config.get("warnings", {})


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parbench bundle", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    publish = sub.add_parser("publish", help="write a bundle of a finished run")
    publish.add_argument("--results", type=Path, default=Path("results"))
    publish.add_argument("--config-file", required=True, type=Path, help="the experiment's config (JSON)")
    publish.add_argument("--label", required=True)
    publish.add_argument("--out", required=True, type=Path)
    verify = sub.add_parser("verify", help="check bundles against their manifests and recompute checksums")
    verify.add_argument("bundles", nargs="+", type=Path)
    merge = sub.add_parser("merge", help="combine bundles from several machines")
    merge.add_argument("--out", required=True, type=Path, help="folder for runs.csv, summary.csv, report.md")
    merge.add_argument(
        "--config", type=Path, help="a config (JSON or YAML) whose `warnings` to use; default: the bundles' own"
    )
    merge.add_argument("bundles", nargs="+", type=Path)
    args = parser.parse_args(argv)

    if args.action == "publish":
        files = collect_results(args.results, json.loads(args.config_file.read_text()), args.label)
        digest = write_bundle(args.out, files)
        print(f"{args.out}: {len(files) + 1} files, sha256 {digest}")
    elif args.action == "verify":
        failed = False
        for path in args.bundles:
            problems = verify_problems(path)
            print(f"{path}: {'OK' if not problems else 'FAILED: ' + problems[0]}")
            failed = failed or bool(problems)
        return 1 if failed else 0
    else:
        warnings = config_warnings(args.config) if args.config else None
        runs, summary, catalogue, settings_of = merge_bundles(args.bundles, warnings)
        write_merged(args.out, runs, summary, catalogue, settings_of)
        print(f"{args.out}: {len(runs)} runs from {summary['host'].nunique()} hosts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
