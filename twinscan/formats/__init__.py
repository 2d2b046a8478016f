"""Format readers shared by the stages, each enforcing its bounds (sizes, ratios, depth).

Every module here is written by hand around a standard codec or parser because the
library alone does not give what a scanner needs: byte offsets of what it reads, and
bounds that hold while reading (not after memory is spent). Each module says why.

* ``limits``: the per-file bounds every reader enforces (`--max-decoded-size`, ratio, time);
* ``decompress``: the one gzip/zstd/brotli stream decoder with those bounds;
* ``tarstream``: tar archives as a stream (image sniff, truncation, safe member names);
* ``jsonspans``: JSON read for the byte offsets of its strings;
* ``yamlnodes``: YAML read as nodes with byte offsets, with depth and alias bounds.
"""
