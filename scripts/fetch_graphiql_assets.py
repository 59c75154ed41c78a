#!/usr/bin/env python3
"""Install GraphiQL's files for Relate to serve itself (R-WEB-2): run by `make install`.

Each file comes from a pinned npm package (`npm pack` fetches the tarball from the npm
registry; nothing is installed into node_modules) and is checked against the
Subresource-Integrity hash pinned below before it is written to server/static/graphiql/
(git-ignored). When npm or the registry is unreachable, the script warns and exits 0:
`make run` still works, and the GraphiQL page then loads the same pinned files from a CDN
and says so on the page (server/graphiql.py).

Usage: python scripts/fetch_graphiql_assets.py [--force]
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.graphiql_assets import ASSETS, ASSET_DIR, Asset  # noqa: E402


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def installed() -> bool:
    return all((ASSET_DIR / a.name).is_file() and integrity((ASSET_DIR / a.name).read_bytes()) == a.integrity
               for a in ASSETS)


def pack(spec: str, into: Path) -> Path:
    """The package's tarball, fetched by npm from the registry."""
    done = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(into)],
                          capture_output=True, text=True, timeout=60, check=True)
    return into / done.stdout.strip().splitlines()[-1]


def extract(tarball: Path, asset: Asset) -> bytes:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(f"package/{asset.path}")
        if member is None:
            raise FileNotFoundError(f"{asset.package} has no {asset.path}")
        return member.read()


def main(force: bool = False) -> int:
    if installed() and not force:
        print("graphiql assets: already installed")
        return 0
    if shutil.which("npm") is None:
        print("warning: npm not found; GraphiQL will load its files from a CDN", file=sys.stderr)
        return 0
    staged: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tarballs: dict[str, Path] = {}
        try:
            for asset in ASSETS:
                if asset.package not in tarballs:
                    tarballs[asset.package] = pack(asset.package, Path(tmp))
                data = extract(tarballs[asset.package], asset)
                if integrity(data) != asset.integrity:
                    print(f"error: {asset.package}/{asset.path} does not match its pinned hash", file=sys.stderr)
                    return 1
                staged[asset.name] = data
        except (subprocess.SubprocessError, OSError, tarfile.TarError) as exc:
            print(f"warning: could not fetch GraphiQL's files ({exc}); GraphiQL will load them from a CDN",
                  file=sys.stderr)
            return 0
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in staged.items():
        (ASSET_DIR / name).write_bytes(data)
    print(f"graphiql assets: {len(staged)} files installed")
    return 0


if __name__ == "__main__":
    sys.exit(main(force="--force" in sys.argv[1:]))
