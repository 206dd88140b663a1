"""Carry the images built once to the engine that measures: load each archive, check it, say how it is held.

Docker builds the images; a session with another engine, or on a cluster
node, measures them from `docker save` archives, each with its sha256 beside
it. Loading checks both the archive (the bytes that were saved) and the image
the engine then holds (the ID that was built), so every engine and every host
measures byte-identical runtimes. The answer, one `engines.Loaded` per image,
is the file the session reads to know what to run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .atomic import write_text_atomic
from .engines import DEFAULT, ENGINES, engine_named
from .errors import ParbenchError, main_guard
from .fetch import sha256_of


def checked_digest(archive: Path) -> str:
    """The archive's digest ('sha256:HEX') once it matches the .sha256 saved beside it; one line why not.

    Hashing an archive of a GB takes seconds, so it is done here only: the
    engine that names what it made by the archive's digest (Apptainer) is
    given this one rather than hashing the archive again.
    """
    sidecar = archive.with_name(archive.name + ".sha256")
    if not archive.is_file() or not sidecar.is_file():
        raise ParbenchError(f"{archive} or its .sha256 is missing from the shared working directory")
    wanted = (sidecar.read_text().split() or [""])[0]
    if sha256_of(archive) != wanted:
        raise ParbenchError(
            f"{archive} differs from the archive that was saved (sha256 mismatch): is the working directory shared?"
        )
    return f"sha256:{wanted}"


def load_images(engine_name: str, host: str, images_dir: Path, runtimes: list[str], dest: Path) -> dict[str, dict]:
    """Load each runtime's archive into the engine; return runtime -> Loaded (as a dict), checked.

    `dest` is where an engine that keeps images as files (Apptainer) puts them.
    """
    engine = engine_named(engine_name)
    problem = engine.problem()
    if problem:
        raise ParbenchError(f"host {host}: {problem}")
    loaded = {}
    for runtime in runtimes:
        archive = images_dir / f"{runtime}.tar"
        try:
            digest = checked_digest(archive)
            wanted = (images_dir / f"{runtime}.iid").read_text().strip()
            loaded[runtime] = engine.load(archive, wanted, dest / runtime, digest=digest).as_dict()
        except ParbenchError as error:
            raise ParbenchError(f"host {host}: {error}") from None
    return loaded


def read_loaded(path: Path, engine: str, host: str) -> dict[str, dict]:
    """The images `main` loaded into `engine` (runtime -> Loaded as a dict), as a session reads them.

    A file loaded into another engine holds references this one cannot run
    (a Podman image ID is no Apptainer sandbox), so it stops the session in
    one line that says how to load them again. A file without an engine is
    from before engines, when Docker loaded them.
    """
    again = f"delete {path} so the images are loaded again"
    try:
        answer = json.loads(path.read_text())
    except FileNotFoundError:
        raise ParbenchError(f"host {host}: {path} is missing: run the workflow again to load the images") from None
    except OSError as error:
        raise ParbenchError(f"host {host}: cannot read {path}: {error.strerror or error}") from None
    except ValueError:
        raise ParbenchError(f"host {host}: {path} is not valid JSON: {again}") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("images"), dict):
        raise ParbenchError(f"host {host}: {path} names no images: {again}")
    held_by = answer.get("engine", DEFAULT)
    if held_by != engine:
        raise ParbenchError(
            f"host {host}: its images were loaded into {held_by}, but it measures with {engine}: {again}"
        )
    return answer["images"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", required=True, choices=sorted(ENGINES))
    parser.add_argument("--host", required=True, help="the machine's name in messages and in the answer")
    parser.add_argument("--images", required=True, type=Path, help="folder of <runtime>.tar, .tar.sha256 and .iid")
    parser.add_argument("--runtimes", required=True, help="comma-separated")
    parser.add_argument("--dest", required=True, type=Path, help="where image files go (Apptainer's sandboxes)")
    parser.add_argument("--out", required=True, type=Path, help="JSON: host, engine, runtime -> how it is held")
    return parser.parse_args(argv)


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    loaded = load_images(args.engine, args.host, args.images, args.runtimes.split(","), args.dest)
    answer = {"host": args.host, "engine": args.engine, "images": loaded}
    write_text_atomic(args.out, json.dumps(answer, indent=2, sort_keys=True) + "\n")
    print(f"parbench: host {args.host}: {args.engine} holds {len(loaded)} image(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
