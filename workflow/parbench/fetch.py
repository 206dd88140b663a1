"""Download a source archive once, from the first URL that gives the pinned bytes."""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.request
from pathlib import Path

from .atomic import atomic_path
from .errors import ParbenchError, main_guard

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(name: str, urls: list[str], sha256: str, dest: Path, timeout: float = 30) -> str:
    """Put the archive at `dest` and return the URL it came from.

    Each URL is tried in order; a download whose sha256 differs is discarded
    and the next URL tried. If none fits, one line names the config key.
    """
    if dest.exists() and sha256_of(dest) == sha256:
        return "already present"
    failures = []
    for url in urls:
        try:
            with atomic_path(dest) as tmp:
                digest = hashlib.sha256()
                with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                    for block in iter(lambda: response.read(CHUNK), b""):
                        digest.update(block)
                        out.write(block)
                if digest.hexdigest() != sha256:
                    raise ValueError(f"sha256 {digest.hexdigest()}")
            print(f"fetched {name} from {url}", file=sys.stderr)
            return url
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            print(f"could not use {url}: {reason}", file=sys.stderr)
            failures.append(f"{url}: {reason}")
    raise ParbenchError(
        f"config key 'sources.{name}': no URL gave a file with sha256 {sha256} "
        f"({'; '.join(failures)}); fix the sha256 or the urls, or put the file in {dest.parent}/"
    )


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--sha256", required=True)
    parser.add_argument("--dest", required=True, type=Path)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args(argv)
    fetch(args.name, args.urls, args.sha256, args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
