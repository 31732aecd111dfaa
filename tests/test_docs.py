"""The docs stay true: every path, setting, make target, command and link they name exists; README's code runs.

Reads README.md and docs/*.md as text; nothing here starts a process or touches the network.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from archive.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SETTINGS = ROOT / "scraper" / "settings.py"
OPERATIONS = ROOT / "docs" / "operations.md"

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
# A path-like token standing on its own (not the tail of /opt/x/y, ../shared/x or http://host:port/x).
_PATH = re.compile(r"(?<![\w./~$:=@*-])([\w-][\w.*-]*(?:/[\w.*-]+)+/?)(?![\w<{*])")
_SOURCE_SUFFIXES = (".py", ".md", ".toml", ".json", ".cfg", ".html", ".txt")


def _read(doc: Path) -> str:
    return doc.read_text(encoding="utf-8")


def _code(text: str) -> list[str]:
    """The fenced code blocks and inline code spans of a markdown text."""
    blocks = [m.group(2) for m in _FENCE.finditer(text)]
    prose = _FENCE.sub("", text)
    return blocks + _SPAN.findall(prose)


def _python_blocks(text: str) -> list[str]:
    return [m.group(2) for m in _FENCE.finditer(text) if m.group(1) == "python"]


def _top_dirs() -> set[str]:
    """The project's top-level folders (on disk; what git ignores and hidden folders left out)."""
    ignored = {"data", "build", "dist", "crawls", "__pycache__"}
    names = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return {n for n in names - ignored if not n.endswith(".egg-info")} | {"docs"}


def _repo_paths(text: str, top_dirs: set[str]) -> set[str]:
    """Paths inside the repository that a doc names in its code: under a project folder, or a source file."""
    found: set[str] = set()
    for snippet in _code(text):
        for token in _PATH.findall(snippet):
            token = token.rstrip(".")
            first = token.split("/", 1)[0]
            if _is_repo_path(token, first in top_dirs):
                found.add(token)
    return found


def _is_repo_path(token: str, in_project_folder: bool) -> bool:
    """Under a project folder: a file (by its suffix), a folder (a trailing slash) or a glob, not a stats key
    (`archive/files`, `articles/dropped/<reason>`). Elsewhere: a source file in a folder that should exist
    (`scrapers/x.py`), not in the archive's `data/` or under a placeholder (`ROOT/.index/`)."""
    if in_project_folder:
        return token.endswith((*_SOURCE_SUFFIXES, "/")) or "*" in token
    first = token.split("/", 1)[0]
    return token.endswith(_SOURCE_SUFFIXES) and first != "data" and not first.isupper()


def _file_names() -> set[str]:
    """Names of the project's files: those at the top and those under its folders."""
    names = {p.name for p in ROOT.iterdir() if p.is_file()}
    for top in _top_dirs():
        names |= {p.name for p in (ROOT / top).rglob("*") if "__pycache__" not in p.parts}
    return names


def test_every_file_the_docs_name_without_its_folder_exists() -> None:
    """`maintext.py`, `sites.toml`: a bare file name in the docs names a file of the project."""
    names = _file_names()
    bare = {
        (doc.name, span)
        for doc in DOCS
        for span in _SPAN.findall(_FENCE.sub("", _read(doc)))
        if re.fullmatch(r"[\w.-]+\.(?:py|toml|cfg|json)", span)
    }
    assert not {b for b in bare if b[1] not in names}, sorted(b for b in bare if b[1] not in names)


def _top_level_names(module: Path) -> set[str]:
    """The names a module defines at its top level: functions, classes and assigned names."""
    names: set[str] = set()
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif (assigned := _assignment(node)) is not None:
            names.add(assigned[0])
    return names


def test_every_function_the_docs_name_beside_its_module_exists() -> None:
    """A pair such as (`maintext.py`, `scan_page`): the module (under scraper/extract/ when named alone) defines it."""
    wrong = []
    for doc in DOCS:
        for module, name in re.findall(r"\(`([\w/]+\.py)`, `(\w+)`\)", _read(doc)):
            path = ROOT / module if "/" in module else ROOT / "scraper" / "extract" / module
            if not path.exists() or name not in _top_level_names(path):
                wrong.append(f"{doc.name}: {module} {name}")
    assert not wrong, wrong


def _exists(path: str) -> bool:
    if any(ch in path for ch in "*?["):
        return any(ROOT.glob(path))
    return (ROOT / path).exists()


def test_every_path_the_docs_name_exists() -> None:
    top_dirs = _top_dirs()
    missing = {f"{doc.name}: {path}" for doc in DOCS for path in _repo_paths(_read(doc), top_dirs) if not _exists(path)}
    assert not missing, sorted(missing)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    text = _FENCE.sub("", _read(doc))
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.+)$", text, re.MULTILINE)}


def test_every_link_between_the_docs_resolves() -> None:
    broken = []
    for doc in DOCS:
        for target in _LINK.findall(_read(doc)):
            if "://" in target or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            linked = (doc.parent / path).resolve() if path else doc
            if not linked.exists():
                broken.append(f"{doc.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert not broken, broken


def _settings_defined() -> set[str]:
    return {n for n in _top_level_names(SETTINGS) if n.isupper()}


def _settings_documented() -> set[str]:
    """Setting names in the first column of the tables of operations.md's "Settings" section."""
    text = _read(OPERATIONS)
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_setting_is_documented_and_every_documented_setting_exists() -> None:
    defined, documented = _settings_defined(), _settings_documented()
    assert defined, "no settings found in scraper/settings.py"
    assert not defined - documented, f"settings missing from docs/operations.md: {sorted(defined - documented)}"
    assert not documented - defined, f"documented but not in scraper/settings.py: {sorted(documented - defined)}"


def _assignment(node: ast.stmt) -> tuple[str, ast.expr] | None:
    """The name a top-level statement assigns (`X = ...` or `X: T = ...`) and its value, else None."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return node.target.id, node.value
    return None


def _settings_values() -> dict[str, object]:
    """The settings whose default is a plain literal (a number, a string, a list of them...), by name."""
    values: dict[str, object] = {}
    for node in ast.parse(SETTINGS.read_text(encoding="utf-8")).body:
        if (assigned := _assignment(node)) is not None:
            with contextlib.suppress(ValueError, TypeError, SyntaxError):
                values[assigned[0]] = ast.literal_eval(assigned[1])
    return values


def _states(shown: str, value: object) -> bool:
    """Whether a default as the docs show it (`2.0`, `"DEBUG"`, `["spiders"]`, a class's name) is `value`."""
    forms = {str(value), repr(value), json.dumps(value)}
    return shown in forms or (isinstance(value, str) and value.endswith("." + shown))


def test_every_default_the_settings_table_shows_is_the_real_one() -> None:
    """Where the default column is only literals (one per setting of the row), each is the setting's value."""
    values = _settings_values()
    section = _read(OPERATIONS).split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    wrong = []
    for line in section.splitlines():
        cells = line.split("|")
        if not line.startswith("| `") or len(cells) < 4:
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1])
        shown = re.findall(r"`([^`]+)`", cells[2])
        if not re.fullmatch(r"\s*`[^`]+`(?:, `[^`]+`)*\s*", cells[2]) or len(shown) != len(names):
            continue
        wrong += [f"{n}: {d}" for n, d in zip(names, shown, strict=True) if n in values and not _states(d, values[n])]
    assert not wrong, wrong


def _stats_keys_counted() -> set[str]:
    """The stats keys the product counts (`stats.inc_value("x/y")`, ...), a placeholder `<*>` for each f-string part."""
    keys: set[str] = set()
    modules = [*(ROOT / "scraper").rglob("*.py"), *(ROOT / "spiders").glob("*.py"), *(ROOT / "pipelines").glob("*.py")]
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.args
                and node.func.attr in {"inc_value", "set_value", "max_value", "min_value"}
            ):
                continue
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keys.add(key.value)
            elif isinstance(key, ast.JoinedStr):
                keys.add("".join(str(v.value) if isinstance(v, ast.Constant) else "<*>" for v in key.values))
    return keys


def test_every_stats_key_the_product_counts_is_documented() -> None:
    """Each key counted in scraper/, spiders/ or pipelines/ matches a key of operations.md's "Stats keys" table."""
    section = _read(OPERATIONS).split("\n## Stats keys\n", 1)[1].split("\n## ", 1)[0]
    documented = {
        re.sub(r"<[^>]+>", "<*>", key)
        for line in section.splitlines()
        if line.startswith("| `")
        for key in re.findall(r"`([^`]+)`", line.split("|")[1])
    }
    counted = _stats_keys_counted()
    assert counted, "no stats key found in the product"
    patterns = {k: re.compile(re.escape(k).replace("<\\*>", "[^/]+")) for k in counted}
    missing = {k for k, pattern in patterns.items() if not any(pattern.fullmatch(d) for d in documented)}
    assert not missing, f"stats keys missing from docs/operations.md: {sorted(missing)}"


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([\w-]+)\s*:(?!=)", text, re.MULTILINE)}


def test_every_make_target_the_docs_name_exists() -> None:
    targets = _make_targets()
    named = {
        (doc.name, t)
        for doc in DOCS
        for code in _code(_read(doc))
        for t in re.findall(r"(?<![\w-])make ([a-z][\w-]*)", code)
    }
    assert named, "the docs name no make target"
    assert not {n for n in named if n[1] not in targets}, sorted(n for n in named if n[1] not in targets)


def _archive_commands() -> set[str]:
    parser = build_parser()
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {name for action in subs for name in action.choices}


def test_every_news_archive_command_the_docs_name_exists() -> None:
    commands = _archive_commands()
    named = {
        (doc.name, c)
        for doc in DOCS
        for code in _code(_read(doc))
        for c in re.findall(r"news-archive(?:\s+--root\s+\S+)?\s+([a-z][\w-]*)", code)
    }
    assert named, "the docs name no news-archive command"
    assert not {n for n in named if n[1] not in commands}, sorted(n for n in named if n[1] not in commands)


def _spider_names() -> set[str]:
    names: set[str] = set()
    for module in (ROOT / "spiders").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and any(isinstance(t, ast.Name) and t.id == "name" for t in node.targets)
            ):
                names.add(node.value.value)
    return names


def test_every_spider_module_and_script_the_docs_name_exists() -> None:
    spiders = _spider_names()
    scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"])
    problems = []
    for doc in DOCS:
        for code in _code(_read(doc)):
            problems += [
                f"{doc.name}: spider {s}" for s in re.findall(r"scrapy crawl ([a-z]\w*)", code) if s not in spiders
            ]
            problems += [
                f"{doc.name}: python -m {m}"
                for m in re.findall(r"python -m ([\w.]+)", code)
                if m not in {"pytest", "pip", "venv"} and importlib.util.find_spec(m) is None
            ]
            problems += [
                f"{doc.name}: {s}"
                for s in re.findall(r"(?<![\w/-])(news-[a-z]+)\b", code)
                if s not in scripts and s != "news-archiver"
            ]
    assert not problems, problems


def test_every_python_block_in_the_docs_compiles() -> None:
    blocks = [(doc.name, block) for doc in DOCS for block in _python_blocks(_read(doc))]
    assert blocks
    for name, block in blocks:
        compile(block, f"<{name}>", "exec")


def _readme_block(importing: str) -> str:
    return next(b for b in _python_blocks(_read(ROOT / "README.md")) if importing in b)


def _run(block: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(block, "<README.md>", "exec"), namespace)
    return namespace


def test_readme_offline_extraction_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "tests" / "pages" / "graph-jsonld.html", tmp_path / "page.html")
    monkeypatch.chdir(tmp_path)
    namespace = _run(_readme_block("from scraper.extract import"))
    assert namespace["record"]["title"]
    assert namespace["record"]["authors"]
    assert namespace["result"].not_article is None


def test_readme_archive_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    namespace = _run(_readme_block("from archive import Archive"))
    assert namespace["hits"] == []
