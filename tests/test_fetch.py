import hashlib

import pytest

from parbench.errors import ParbenchError
from parbench.fetch import fetch


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "src" / "Python-9.9.9.tar.xz"
    path.parent.mkdir()
    path.write_bytes(b"pretend tarball" * 1000)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_falls_back_to_the_next_url(tmp_path, archive):
    path, digest = archive
    dest = tmp_path / "resources" / "Python-9.9.9.tar.xz"
    used = fetch("Python-9.9.9.tar.xz", [(tmp_path / "missing").as_uri(), path.as_uri()], digest, dest)
    assert used == path.as_uri()
    assert dest.read_bytes() == path.read_bytes()
    assert fetch("Python-9.9.9.tar.xz", ["file:///nowhere"], digest, dest) == "already present"


def test_wrong_sha256_names_the_config_key_and_leaves_nothing(tmp_path, archive):
    path, _ = archive
    dest = tmp_path / "resources" / "Python-9.9.9.tar.xz"
    with pytest.raises(ParbenchError) as raised:
        fetch("Python-9.9.9.tar.xz", [path.as_uri()], "0" * 64, dest)
    message = str(raised.value)
    assert "config key 'sources.Python-9.9.9.tar.xz'" in message and "\n" not in message
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no partial download left behind


def test_unreachable_source(tmp_path):
    with pytest.raises(ParbenchError, match="no URL gave a file"):
        fetch("x.tar.xz", [(tmp_path / "absent").as_uri()], "0" * 64, tmp_path / "x.tar.xz")


def test_existing_file_with_wrong_content_is_replaced(tmp_path, archive):
    path, digest = archive
    dest = tmp_path / "Python-9.9.9.tar.xz"
    dest.write_bytes(b"truncated")
    fetch("Python-9.9.9.tar.xz", [path.as_uri()], digest, dest)
    assert dest.read_bytes() == path.read_bytes()
