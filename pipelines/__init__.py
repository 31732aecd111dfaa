"""Item pipelines, one job each: extract, strip boilerplate, validate, archive."""
