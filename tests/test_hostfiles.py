"""A cluster node's records, kept as a run starts and put back where a failed job lost them."""

from __future__ import annotations

import os

from parbench import hostfiles


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


def made(path, text, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def test_node_files_are_each_hosts_images_and_manifest():
    assert [str(p) for p in hostfiles.node_files(["a", "b"])] == [
        "results/hosts/a/images.json",
        "results/hosts/a/raw.json",
        "results/hosts/b/images.json",
        "results/hosts/b/raw.json",
    ]


def test_a_lost_file_comes_back_with_its_date_and_record_and_a_rewritten_one_stands(tmp_path):
    gone = made(tmp_path / "a" / "images.json", '{"engine": "docker"}', 1_000_000)
    redated = made(tmp_path / "a" / "raw.json", '{"raw": ["x"]}', 1_000_100)
    rewritten = made(tmp_path / "b" / "raw.json", '{"raw": ["old"]}', 1_000_200)
    never = tmp_path / "c" / "raw.json"
    store = Persistence({str(gone): "load, docker", str(redated): "measure, docker", str(rewritten): "measure, old"})
    kept = hostfiles.keep([gone, redated, rewritten, never], store)
    assert [k.path for k in kept] == [gone, redated, rewritten]  # a file that was not there is not kept

    # What a failed run leaves: the load job's output removed and its params recorded as the file's;
    # the manifest copied back by Snakemake, dated now; another node's job succeeded.
    gone.unlink()
    store.records[str(gone)] = "load, apptainer"
    store.incomplete.add(str(gone))
    redated.write_text('{"raw": ["x"]}')
    store.records[str(redated)] = "measure, forced"
    made(rewritten, '{"raw": ["new"]}', 2_000_000)
    store.records[str(rewritten)] = "measure, new"

    back = hostfiles.put_back(kept, store)
    assert back == [str(gone), str(redated)]
    assert gone.read_text() == '{"engine": "docker"}' and gone.stat().st_mtime == 1_000_000
    assert redated.stat().st_mtime == 1_000_100
    assert rewritten.read_text() == '{"raw": ["new"]}' and rewritten.stat().st_mtime == 2_000_000
    assert store.records == {str(gone): "load, docker", str(redated): "measure, docker", str(rewritten): "measure, new"}
    assert not store.incomplete
    assert hostfiles.put_back(kept, store) == []  # nothing lost any more


def test_a_file_without_a_record_comes_back_without_one(tmp_path):
    path = made(tmp_path / "raw.json", "{}", 1_000_000)
    store = Persistence({})
    kept = hostfiles.keep([path], store)
    path.unlink()
    store.records[str(path)] = "the failed job's"
    assert hostfiles.put_back(kept, store) == [str(path)]
    assert path.read_text() == "{}" and store.records == {}
