"""Finding the examples in README.md and docs/*.md, and turning them into requests.

The conventions the docs follow (docs/api.md, "About the examples"):
- every ```graphql block is one runnable document (query, mutation or subscription);
- a ```json block whose info string says `variables` gives the variables of the graphql
  block just before it; other variables come from the well-known fixture data by name
  (`$id`, `$recordId`, `$accountId`, `$contactId`, `$taskId`, `$noteId`, `$webhookId` …);
- every `curl` command in a ```sh block is run, with `$TOKEN` / `<token>` and the
  `<… id>` placeholders replaced; `-F name=@file` uploads get a small file of that name;
- every other ```json block must at least be valid JSON (it shows a response);
- every ```python block runs (a receiver's `verify` is then checked against real signatures).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    lang: str
    info: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Example:
    block: Block
    kind: str  # graphql, curl, json, python
    text: str
    variables: dict[str, object] | None = None


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    source = path.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(source):
        info = match.group(1).strip()
        found.append(Block(str(path.relative_to(ROOT)), source.count("\n", 0, match.start()) + 1,
                           (info.split() or [""])[0].lower(), info, match.group(2)))
    return found


def curl_commands(text: str) -> list[str]:
    """Whole `curl …` commands of a shell block, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    commands, current = [], None
    for line in joined.splitlines():
        stripped = line.strip().removeprefix("$ ")
        if current is not None and not stripped.startswith(("curl ", "#")) and stripped and current.count("'") % 2:
            current += "\n" + line  # inside a quoted -d spanning lines
            continue
        if current is not None:
            commands.append(current)
            current = None
        if stripped.startswith("curl "):
            current = stripped
    if current is not None:
        commands.append(current)
    return commands


def examples() -> list[Example]:
    import json

    found: list[Example] = []
    for path in doc_files():
        listed = blocks(path)
        for i, block in enumerate(listed):
            if block.lang == "graphql":
                following = listed[i + 1] if i + 1 < len(listed) else None
                variables = None
                if following is not None and following.lang == "json" and "variables" in following.info:
                    variables = json.loads(following.text)
                found.append(Example(block, "graphql", block.text, variables))
            elif block.lang in ("sh", "shell", "bash", "console"):
                found.extend(Example(block, "curl", c) for c in curl_commands(block.text))
            elif block.lang == "json" and "variables" not in block.info:
                found.append(Example(block, "json", block.text))
            elif block.lang == "python":
                found.append(Example(block, "python", block.text))
    return found


@dataclass
class CurlRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    data: str | None = None
    form: list[tuple[str, str]] = field(default_factory=list)


def parse_curl(command: str, replacements: dict[str, str]) -> CurlRequest:
    for placeholder, value in replacements.items():
        command = command.replace(placeholder, value)
    words = shlex.split(command)
    assert words[0] == "curl", command
    request = CurlRequest("GET", "/")
    explicit_method = None
    rest = iter(words[1:])
    for word in rest:
        if word in ("-H", "--header"):
            name, _, value = next(rest).partition(":")
            request.headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            request.data = next(rest)
        elif word in ("-F", "--form"):
            name, _, value = next(rest).partition("=")
            request.form.append((name, value))
        elif word in ("-X", "--request"):
            explicit_method = next(rest)
        elif word.startswith("http://") or word.startswith("https://"):
            parts = urlsplit(word)
            request.path = parts.path + (f"?{parts.query}" if parts.query else "")
        elif word.startswith("-"):
            continue  # -s, -i, -f …: no effect on the request
    if request.data is not None or request.form:
        request.method = "POST"
    request.method = explicit_method or request.method
    return request
