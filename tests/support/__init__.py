"""Components the tests plug into real crawls through settings (never imported by the product)."""
