"""Publishing, verifying and merging bundles, on fixture results."""

import io
import json
import tarfile

import pytest

from parbench import aggregate
from parbench.bundle import main, merge_bundles, read_bundle, verify_problems
from parbench.errors import ParbenchError

from fixtures import scaling_records

CONFIG = {
    "runtimes": ["cpython-3.13", "cpython-3.13t", "go"],
    "catalogue": {
        "cpython-3.13": {"kind": "cpython", "free_threading": False},
        "cpython-3.13t": {"kind": "cpython", "free_threading": True},
        "go": {"kind": "go"},
    },
}


def make_results(root, host, schema=1, checksum=None, config=CONFIG, settings=None):
    results = root / "results"
    records = []
    for r in scaling_records():
        r = dict(r, host=host, schema=schema)
        if checksum is not None:
            r["checksum"] = checksum
        records.append(r)
    raw = results / "raw" / "all" / "cells.jsonl"
    raw.parent.mkdir(parents=True)
    raw.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert (
        aggregate.main(["--runs", str(results / "runs.csv"), "--summary", str(results / "summary.csv"), str(raw)]) == 0
    )
    (results / "report.md").write_text("# report\n")
    (results / "environment.json").write_text(
        json.dumps({"git_commit": "checkout", "git_clean": False, "host_label": host})
    )
    stamp = {"session": "s1", "git_commit": "abc", "git_clean": True, "started_at": "2026-11-25T00:00:00+00:00"}
    if settings is not None:
        stamp["settings"] = settings
    (results / "sessions.json").write_text(json.dumps({"sessions": [stamp]}))
    (results / "raw" / "sessions").mkdir()
    (results / "raw" / "sessions" / "s1.json").write_text(json.dumps(stamp))
    (results / "config.json").write_text(json.dumps(config))
    (results / "figures").mkdir()
    (results / "figures" / "cpu_loop_scaling.png").write_bytes(b"\x89PNG fixture")
    (results / "images").mkdir()
    (results / "images" / "go.identity.json").write_text("{}")
    (results / "images" / "go.packages.tsv").write_text("golang-1.24-go\t1.24.4-1\tamd64\n")
    return results


def publish(tmp_path, host="hostA", **kwargs):
    results = make_results(tmp_path / host, host, **kwargs)
    out = tmp_path / "publish" / f"parbench-{host}-20261125-abc.tar.gz"
    assert (
        main(
            [
                "publish",
                "--results",
                str(results),
                "--config-file",
                str(results / "config.json"),
                "--label",
                host,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return out


def repack(bundle, change):
    """Rewrite a bundle with one member changed, keeping its manifest (a careless edit)."""
    files = read_bundle(bundle)
    change(files)
    stem = bundle.name.removesuffix(".tar.gz")
    with tarfile.open(bundle, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{stem}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bundle.with_name(bundle.name + ".sha256").unlink()


def test_publish_writes_everything_with_a_manifest(tmp_path):
    bundle = publish(tmp_path)
    files = read_bundle(bundle)
    for name in (
        "runs.csv",
        "summary.csv",
        "report.md",
        "environment.json",
        "config.yaml",
        "bundle.json",
        "figures/cpu_loop_scaling.png",
        "raw/all/cells.jsonl",
        "images/go.identity.json",
        "images/go.packages.tsv",
        "MANIFEST.sha256",
        "sessions.json",
        "raw/sessions/s1.json",
    ):
        assert name in files, name
    manifest = files["MANIFEST.sha256"].decode().splitlines()
    assert len(manifest) == len(files) - 1
    meta = json.loads(files["bundle.json"])
    # The commit that measured, from the stamp, not the checkout's state when publishing.
    assert (meta["host_label"], meta["bundle_format"], meta["record_schema"], meta["git_commit"]) == (
        "hostA",
        1,
        1,
        "abc",
    )
    assert meta["git_clean"] is True and meta["sessions"][0]["session"] == "s1"
    sidecar = bundle.with_name(bundle.name + ".sha256").read_text()
    assert sidecar.endswith(f"  {bundle.name}\n")
    assert verify_problems(bundle) == []


def test_one_changed_byte_is_refused(tmp_path, capsys):
    bundle = publish(tmp_path)
    capsys.readouterr()
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    bundle.write_bytes(bytes(data))
    assert main(["verify", str(bundle)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "does not match" in out[0] and ".sha256" in out[0]


def test_an_edited_file_is_named(tmp_path):
    bundle = publish(tmp_path)
    repack(bundle, lambda files: files.__setitem__("summary.csv", files["summary.csv"].replace(b"0.1", b"0.2", 1)))
    problems = verify_problems(bundle)
    assert problems == [f"summary.csv in {bundle.name} was changed after publishing (sha256 differs from the manifest)"]


def test_added_and_removed_files_are_named(tmp_path):
    bundle = publish(tmp_path)

    def change(files):
        del files["report.md"]
        files["extra.txt"] = b"x"

    repack(bundle, change)
    problems = verify_problems(bundle)
    assert any(p.startswith("report.md is listed in the manifest but missing") for p in problems)
    assert any(p.startswith("extra.txt") and "not in the manifest" in p for p in problems)


def test_wrong_workload_checksums_are_found_by_recomputing(tmp_path):
    bundle = publish(tmp_path, checksum=123.0)
    problems = verify_problems(bundle)
    assert (
        len(problems) == 2
        and "recomputed 498507.4854708605" in problems[0]
        and "iterations=1000, 1 worker(s)" in problems[0]
        and "checksum 123.0" in problems[0]
    )


def test_merge_two_hosts_into_one_table(tmp_path):
    a, b = publish(tmp_path, "hostA"), publish(tmp_path, "hostB")
    out = tmp_path / "merged"
    assert main(["merge", "--out", str(out), str(a), str(b)]) == 0
    import pandas as pd

    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["host"].unique()) == ["hostA", "hostB"]
    assert len(summary) == 12
    report = (out / "report.md").read_text()
    assert "hostA" in report and "hostB" in report and "## Ratios per host" in report
    # The ratios say which way round they are: the engines-merged 0.86× read against the main report's 1.22×.
    assert "Time of the first over time of the second" in report.split("## Ratios per host")[1]
    flags = [column for column in summary.columns if column.startswith("warn_")]
    assert flags and not summary[flags].any().any()  # the fixtures flag no cell: counting is test_engines'
    assert "## Warnings\n\nNone on any host." in report
    assert "more than one session" not in report  # each host's tables are one session's
    # The ratios the merged report prints are a table of the merge, not computed while rendering.
    from parbench.labels import fmt_ratio_ci

    ratios = pd.read_csv(out / "ratios.csv")
    assert sorted(ratios["host"].unique()) == ["hostA", "hostB"]
    row = ratios.dropna(subset=["gil_over_go"]).iloc[0]
    shown = fmt_ratio_ci(
        row["gil_over_go"],
        row["gil_over_go_low"],
        row["gil_over_go_high"],
        row["gil_over_go_significant"],
        row["gil_over_go_testable"],
    )
    assert shown in report


def test_merge_refuses_same_label_and_other_schemas(tmp_path):
    a = publish(tmp_path, "hostA")
    copy = tmp_path / "copy.tar.gz"
    copy.write_bytes(a.read_bytes())
    with pytest.raises(ParbenchError, match="share host label 'hostA'"):
        merge_bundles([a, copy])
    newer = publish(tmp_path, "hostC", schema=2)
    with pytest.raises(ParbenchError, match="record schema 2, expected 1"):
        merge_bundles([a, newer])


def test_unreadable_bundle_is_one_line(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(ParbenchError, match="not a readable bundle"):
        verify_problems(junk)


def test_bundle_merge_and_cluster_merge_are_one_path_with_the_configs_limits(tmp_path):
    from parbench.aggregate import read_table
    from parbench.merge import merged_tables

    strict = dict(CONFIG, warnings={"cv": 0.001, "min_seconds": 0.1, "busy": 0.1})
    a, b = (publish(tmp_path, host, config=strict) for host in ("hostA", "hostB"))
    runs, summary, _, settings_of = merge_bundles([a, b])
    # A CV limit of 0.1 % flags every jittered cell; the defaults' 5 % does not.
    assert summary["warn_cv"].all()
    per_host = [tmp_path / host / "results" / "runs.csv" for host in ("hostA", "hostB")]
    cluster_runs, cluster_summary = merged_tables(per_host, strict["warnings"])
    assert len(cluster_runs) == len(runs)
    key = ["host", "runtime", "cpuset"]
    ours = summary.sort_values(key).reset_index(drop=True)
    theirs = cluster_summary.sort_values(key).reset_index(drop=True)
    assert ours[["median", "speedup", "efficiency", "warn_cv"]].equals(
        theirs[["median", "speedup", "efficiency", "warn_cv"]]
    )
    assert not read_table(tmp_path / "hostA" / "results" / "summary.csv")["warn_cv"].all()  # made with defaults


def test_a_bundle_merge_says_what_each_hosts_budget_cut(tmp_path):
    cut = {"repeats": 3, "budget": {"limit": "1h", "asked_repeats": 6, "repeats": 3}}
    a, b = publish(tmp_path, "hostA", settings={"repeats": 6}), publish(tmp_path, "hostB", settings=cut)
    assert merge_bundles([a, b])[3] == {"hostA": {"repeats": 6}, "hostB": cut}
    assert main(["merge", "--out", str(tmp_path / "m"), str(a), str(b)]) == 0
    report = (tmp_path / "m" / "report.md").read_text()
    assert "- hostB: The budget of 1h left 3 of the 6 rounds asked." in report and "- hostA" not in report


def test_bundle_merge_refuses_differing_limits_unless_told_which(tmp_path, capsys):
    a = publish(tmp_path, "hostA", config=dict(CONFIG, warnings={"cv": 0.001}))
    b = publish(tmp_path, "hostB", config=dict(CONFIG, warnings={"cv": 0.5}))
    with pytest.raises(ParbenchError, match="warning limits differ.*--config"):
        merge_bundles([a, b])
    _, summary, _, _ = merge_bundles([a, b], {"cv": 0.5})
    assert not summary["warn_cv"].any()
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text("warnings: {cv: 0.001}\n")
    assert main(["merge", "--out", str(tmp_path / "m"), "--config", str(chosen), str(a), str(b)]) == 0
    assert aggregate.read_table(tmp_path / "m" / "summary.csv")["warn_cv"].all()


def test_a_bundle_from_before_a_warning_limit_merges_with_one_that_has_its_default(tmp_path):
    """A bundle made before `warnings.uneven` existed used its default; with it written out, the limits agree."""
    older = dict(CONFIG, warnings={"cv": 0.05, "min_seconds": 0.1, "busy": 0.1})
    a = publish(tmp_path, "hostA", config=older)
    b = publish(tmp_path, "hostB", config=dict(CONFIG, warnings={**older["warnings"], "uneven": 1.25}))
    assert len(merge_bundles([a, b])[1]) > 0
    c = publish(tmp_path, "hostC", config=dict(CONFIG, warnings={**older["warnings"], "uneven": 2.0}))
    with pytest.raises(ParbenchError, match="warning limits differ"):
        merge_bundles([a, c])


@pytest.mark.parametrize(
    "text, says",
    [
        ("warnings: {cv: [0.1\n", "is not valid YAML"),
        ("- just\n- a list\n", "must be a mapping with a `warnings` mapping"),
        ("warnings: 0.05\n", "must be a mapping with a `warnings` mapping"),
    ],
)
def test_a_bad_merge_config_is_one_line(tmp_path, capsys, text, says):
    a = publish(tmp_path, "hostA")
    b = publish(tmp_path, "hostB")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    capsys.readouterr()  # what publishing the bundles printed
    assert main(["merge", "--out", str(tmp_path / "m"), "--config", str(bad), str(a), str(b)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"parbench: {bad} ") and says in lines[0]
    assert not (tmp_path / "m").exists()


def test_the_merged_report_names_hosts_measured_in_more_than_one_session():
    import pandas as pd

    from parbench.render_merged import sessions_lines

    runs = pd.DataFrame({"host": ["vm", "vm", "vm", "big"], "session": ["s1", "s1", "s2", "s3"], "runtime": ["go"] * 4})
    lines = sessions_lines(runs)
    assert "not interleaved" in lines[0] and "- vm: 2 sessions" in lines and not any("big" in x for x in lines)
    assert sessions_lines(runs[runs["host"] == "big"]) == []
