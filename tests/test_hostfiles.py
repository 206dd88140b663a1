"""A cluster's records, kept as a run starts and put back where a failed job lost them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parbench import hostfiles

SETTINGS, EXPERIMENT = "results/hosts/settings.json", "results/hosts/experiment.json"
SINCE = 1_200_000  # when the run started


class Persistence:
    """Snakemake's metadata store, as far as hostfiles uses it: records by key, and incomplete marks."""

    def __init__(self, records):
        self.records = dict(records)
        self.incomplete = set()

    def _get_key(self, f):
        return str(f)

    def metadata(self, f):
        return self.records.get(str(f))

    def cleanup_metadata(self, f):
        self.incomplete.discard(str(f))
        return self.records.pop(str(f), None) is not None

    def _write_record(self, key, record):
        self.records[key] = record


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def made(path, text, mtime):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def test_node_files_are_each_hosts_images_and_manifest_and_the_settings_every_node_reads():
    assert [str(p) for p in hostfiles.node_files(["a", "b"])] == [
        "results/hosts/a/images.json",
        "results/hosts/a/raw.json",
        "results/hosts/b/images.json",
        "results/hosts/b/raw.json",
        SETTINGS,
        EXPERIMENT,
    ]


def test_a_lost_file_comes_back_with_its_date_and_record_and_a_rewritten_one_stands(project):
    gone = made("results/hosts/a/images.json", '{"engine": "docker"}', 1_000_000)
    redated = made("results/hosts/a/raw.json", '{"raw": ["x"]}', 1_000_100)
    rewritten = made("results/hosts/b/raw.json", '{"raw": ["old"]}', 1_000_200)
    settings = made(SETTINGS, '{"repeats": 6}', 900_000)
    store = Persistence(
        {str(gone): "load, docker", str(redated): "measure, docker", str(rewritten): "measure, old", SETTINGS: "6"}
    )
    kept = hostfiles.keep(hostfiles.node_files(["a", "b", "c"]), store)
    assert [k.path for k in kept] == [gone, redated, rewritten, settings]  # files that were not there are not kept

    # What a failed run leaves: the load job's output removed and its params recorded as the file's;
    # the manifest copied back by Snakemake, dated now; another node's job succeeded, with new settings.
    gone.unlink()
    store.records[str(gone)] = "load, apptainer"
    store.incomplete.add(str(gone))
    redated.write_text('{"raw": ["x"]}')
    store.records[str(redated)] = "measure, forced"
    made(rewritten, '{"raw": ["new"]}', 2_000_000)
    store.records[str(rewritten)] = "measure, new"
    made(settings, '{"repeats": 4}', 1_500_000)
    store.records[SETTINGS] = "4"

    back = hostfiles.put_back(kept, store, ["a", "b", "c"], SINCE)
    assert back == [str(gone), str(redated)]
    assert gone.read_text() == '{"engine": "docker"}' and gone.stat().st_mtime == 1_000_000
    assert redated.stat().st_mtime == 1_000_100
    assert rewritten.read_text() == '{"raw": ["new"]}' and rewritten.stat().st_mtime == 2_000_000
    assert settings.read_text() == '{"repeats": 4}'  # node b measured with them: they stand
    assert store.records == {
        str(gone): "load, docker",
        str(redated): "measure, docker",
        str(rewritten): "measure, new",
        SETTINGS: "4",
    }
    assert not store.incomplete
    assert hostfiles.put_back(kept, store, ["a", "b", "c"], SINCE) == []  # nothing lost any more


def test_settings_no_node_measured_with_come_back_with_their_record(project):
    manifest = made("results/hosts/a/raw.json", '{"raw": ["x"]}', 1_000_000)
    settings = made(SETTINGS, '{"repeats": 6}', 900_000)
    experiment = made(EXPERIMENT, '{"cpusets": "auto"}', 900_000)
    store = Persistence({SETTINGS: "6", str(manifest): "measure"})
    kept = hostfiles.keep(hostfiles.node_files(["a"]), store)
    made(settings, '{"repeats": 4}', 1_500_000)  # the failed run's settings: its node job then failed
    store.records[SETTINGS] = "4"
    assert hostfiles.put_back(kept, store, ["a"], SINCE) == [SETTINGS]
    assert settings.read_text() == '{"repeats": 6}' and settings.stat().st_mtime == 900_000
    assert experiment.stat().st_mtime == 900_000 and store.records[SETTINGS] == "6"
    # A node whose session started in this run (its journal is that new) may still measure with them.
    made(settings, '{"repeats": 4}', 1_500_000)
    journal = made("results/hosts/a/session/journal.jsonl", "{}", 1_400_000)
    assert hostfiles.put_back(kept, store, ["a"], SINCE) == []
    os.utime(journal, (1_100_000, 1_100_000))  # an earlier run's unfinished session: not this run's
    assert hostfiles.put_back(kept, store, ["a"], SINCE) == [SETTINGS]
    # A node that had no manifest before and wrote one now measured with the new settings.
    made(settings, '{"repeats": 4}', 1_500_000)
    made("results/hosts/new/raw.json", "{}", 1_600_000)
    assert hostfiles.put_back(kept, store, ["a", "new"], SINCE) == []


def test_a_file_without_a_record_comes_back_without_one(project):
    path = made("results/hosts/a/raw.json", "{}", 1_000_000)
    store = Persistence({})
    kept = hostfiles.keep([path], store)
    path.unlink()
    store.records[str(path)] = "the failed job's"
    assert hostfiles.put_back(kept, store, ["a"], SINCE) == [str(path)]
    assert path.read_text() == "{}" and store.records == {}


def test_a_store_that_cannot_write_records_leaves_none_rather_than_the_failed_jobs(project):
    class Bare:  # a Snakemake without the private writer: the failed job's record still goes
        def __init__(self, records):
            self.records = records

        def metadata(self, f):
            return self.records.get(str(f))

        def cleanup_metadata(self, f):
            return self.records.pop(str(f), None) is not None

    path = made("results/hosts/a/images.json", "{}", 1_000_000)
    store = Bare({str(path): "load, docker"})
    kept = hostfiles.keep([path], store)
    path.unlink()
    store.records[str(path)] = "load, apptainer"
    assert hostfiles.put_back(kept, store, ["a"], SINCE) == [str(path)] and store.records == {}
