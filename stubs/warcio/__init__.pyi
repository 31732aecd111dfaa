# Minimal type stubs for the parts of warcio (1.7+) that archive/warc.py uses; warcio ships no hints.
