"""The extraction core is pure: importing any module of scraper.extract loads neither Scrapy nor Twisted."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import scraper.extract

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import scraper.extract
for module in pkgutil.iter_modules(scraper.extract.__path__):
    if module.name != "__main__":  # running it is the command line
        importlib.import_module(f"scraper.extract.{module.name}")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"scrapy", "twisted"})))
"""


def test_the_extraction_core_imports_no_scrapy_and_no_twisted() -> None:
    modules = [m.name for m in pkgutil.iter_modules(scraper.extract.__path__)]
    assert {"page", "metadata", "body", "maintext"} <= set(modules)  # the walk finds the package's modules
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
