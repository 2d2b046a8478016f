"""Format readers shared by the stages, each enforcing its bounds (sizes, ratios, depth).

* ``limits``: the per-file bounds every reader enforces (`--max-decoded-size`, ratio, time);
* ``decompress``: the one gzip/zstd/brotli stream decoder with those bounds;
* ``jsonspans``: JSON read for the byte offsets of its strings;
* ``yamlnodes``: YAML read as nodes with byte offsets, with depth and alias bounds.
"""
