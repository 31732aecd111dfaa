"""What each package may depend on, and what the wheel ships.

`archive` is read by downstream tools that install nothing else: it imports neither Scrapy (nor Twisted) nor
`scraper`. The wheel holds the product packages only: the servers of devtools/, the tests and bench/ stay out.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import setuptools

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_ARCHIVE = {"scrapy", "twisted", "scraper"}
PRODUCT = {"scraper", "spiders", "pipelines", "archive"}

# Run in a fresh interpreter, so that nothing the test session imported already counts.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import archive
names = [m.name for m in pkgutil.walk_packages(archive.__path__, "archive.") if m.name != "archive.__main__"]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_every_archive_module_loads_neither_scrapy_nor_scraper() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"archive.cli", "archive.index", "archive.reader", "archive.writer"} <= set(report["imported"])
    assert [m for m in report["loaded"] if m.split(".")[0] in FORBIDDEN_IN_ARCHIVE] == []


def _absolute_imports(path: Path) -> set[str]:
    """The top-level names a module imports anywhere in it (imports inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_archive_module_imports_scrapy_or_scraper_even_on_first_use() -> None:
    modules = sorted((ROOT / "archive").rglob("*.py"))
    assert ROOT / "archive" / "__main__.py" in modules
    offenders = {str(p.relative_to(ROOT)): sorted(_absolute_imports(p) & FORBIDDEN_IN_ARCHIVE) for p in modules}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_wheel_holds_the_product_packages_and_each_of_their_folders() -> None:
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    find = find["find"]
    found = set(
        setuptools.find_packages(
            where=str(ROOT / find.get("where", ["."])[0]),
            include=find.get("include", ["*"]),
            exclude=find.get("exclude", []),
        )
    )
    assert {name.split(".")[0] for name in found} == PRODUCT  # so not devtools, tests, bench or demo
    assert (ROOT / "devtools" / "__init__.py").is_file()  # a package: only the include list keeps it out
    # every folder of Python code under the product packages ships: none lacks its __init__.py
    folders = {
        ".".join(d.relative_to(ROOT).parts)
        for top in PRODUCT
        for d in [ROOT / top, *(ROOT / top).rglob("*")]
        if d.is_dir() and any(d.glob("*.py"))
    }
    assert found == folders
