"""The files GraphiQL needs, pinned by version and Subresource-Integrity hash (R-WEB-2).

scripts/fetch_graphiql_assets.py installs them into `ASSET_DIR` at install time;
server/graphiql.py serves them and falls back to the CDN copies of the same files (same
hashes) only when they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
CDN = "https://unpkg.com"


@dataclass(frozen=True, slots=True)
class Asset:
    package: str  # name@version on the npm registry
    path: str  # inside the package
    integrity: str  # sha384, as in a <script integrity=…>

    @property
    def name(self) -> str:
        """The file name it is served under: package and version in it, so it can be cached forever."""
        return self.package.lstrip("@").replace("/", "-") + "-" + self.path.rsplit("/", 1)[-1]

    @property
    def cdn_url(self) -> str:
        return f"{CDN}/{self.package}/{self.path}"


REACT = Asset("react@18.2.0", "umd/react.production.min.js",
              "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8")
REACT_DOM = Asset("react-dom@18.2.0", "umd/react-dom.production.min.js",
                  "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh")
GRAPHIQL_JS = Asset("graphiql@3.8.3", "graphiql.min.js",
                    "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie")
GRAPHIQL_CSS = Asset("graphiql@3.8.3", "graphiql.min.css",
                     "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM")
EXPLORER_JS = Asset("@graphiql/plugin-explorer@1.0.2", "dist/index.umd.js",
                    "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9")
EXPLORER_CSS = Asset("@graphiql/plugin-explorer@1.0.2", "dist/style.css",
                     "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi")

SCRIPTS = (REACT, REACT_DOM, GRAPHIQL_JS, EXPLORER_JS)
STYLES = (GRAPHIQL_CSS, EXPLORER_CSS)
ASSETS = (*STYLES, *SCRIPTS)


def installed() -> bool:
    """All files are there (their hashes were checked when they were written)."""
    return all((ASSET_DIR / asset.name).is_file() for asset in ASSETS)
