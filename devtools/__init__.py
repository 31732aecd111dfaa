"""Servers and page generators for the tests, `make demo` and bench/; not part of the installed package.

- siteserver: a static site folder on 127.0.0.1 (the tests' fixture sites, demo/run.py, bench/crawl.py;
  `python -m devtools.siteserver FOLDER` by hand).
- sitegen: a synthetic news site of any size (bench/crawl.py, the archive and worker crash tests).
- faultserver: the open web's worst on 127.0.0.x (the hostile-input and trust tests).

pyproject's package list leaves devtools out of the wheel (tests/test_package_boundaries.py checks it).
"""
