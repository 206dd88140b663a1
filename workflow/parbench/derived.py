"""Images made for one user workload on one runtime: its pip packages, or its compiled Go twin.

A CPython runtime's image gains the packages of the folder's requirements.txt
(containers/cpython-packages); the Go image gains a `parbench-go` that knows
the folder's Go twin (containers/go-twin). Each is built FROM the exact
runtime image the built-in cells use, so the two differ only by what the
workload brought. A requirement pip cannot install, or a twin that does not
compile, ends with one line naming the workload, the runtime and the error.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import docker
from .errors import ParbenchError, main_guard
from .images import BuildFailed, build_image, pinned_tag

PACKAGES_DOCKERFILE = "containers/cpython-packages/Dockerfile"
TWIN_DOCKERFILE = "containers/go-twin/Dockerfile"
# Where pip in the build finds the certificate authorities the host trusts, first found wins:
# a proxy that the host's pip may use is then one the image build may use too.
TRUST_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
DEBIAN_TRUST = Path("/etc/ssl/certs/ca-certificates.crt")


def host_trust(environ: dict[str, str]) -> Path | None:
    """The host's certificate bundle, or None when it has none to share."""
    for name in TRUST_VARIABLES:
        if environ.get(name) and Path(environ[name]).is_file():
            return Path(environ[name])
    return DEBIAN_TRUST if DEBIAN_TRUST.is_file() else None


def packages_context(folder: Path, into: Path, trust: Path | None) -> Path:
    """A build context of the workload's requirements.txt and the host's trust bundle (empty if none)."""
    shutil.copyfile(folder / "requirements.txt", into / "requirements.txt")
    (into / "trust.pem").write_bytes(trust.read_bytes() if trust else b"")
    return into


def image_tag(runtime: str, workload: str) -> str:
    """A tag Docker accepts ('+' is not allowed in a repository name)."""
    return f"parbench/{runtime}__{workload}:latest"


def derive_image(kind: str, runtime: str, workload: str, folder: Path, runtime_iid: Path, iid_out: Path) -> str:
    """Build the workload's image on this runtime; ParbenchError with one line if it cannot be built."""
    image = runtime_iid.read_text().strip()
    runtime_tag = pinned_tag(image, f"parbench/{runtime}")
    with tempfile.TemporaryDirectory(prefix="parbench-context-") as scratch:
        if kind == "cpython":
            dockerfile, args = PACKAGES_DOCKERFILE, {"RUNTIME_IMAGE": runtime_tag}
            context = packages_context(folder, Path(scratch), host_trust(dict(os.environ)))
            what = (
                f"requirements.txt cannot be installed for {runtime} (3.13t needs cp313t wheels or a buildable source)"
            )
        else:
            dockerfile, args = TWIN_DOCKERFILE, {"GO_IMAGE": runtime_tag, "WORKLOAD": workload}
            context, what = folder / "go", "its Go twin (go/) does not build"
        try:
            return build_image(
                str(Path(dockerfile).resolve()), args, image_tag(runtime, workload), iid_out, str(context)
            )
        except BuildFailed as error:
            raise ParbenchError(f"workload {workload!r}: {what}: {str(error).partition(' failed: ')[2]}") from None


@main_guard
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parbench.derived", description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", required=True)
    parser.add_argument("--kind", required=True, choices=["cpython", "go"])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--runtime-iid", required=True, type=Path)
    parser.add_argument("--iid", required=True, type=Path)
    args = parser.parse_args(argv)
    docker.require_daemon()
    print(derive_image(args.kind, args.runtime, args.workload, args.folder, args.runtime_iid, args.iid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
