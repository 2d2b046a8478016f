"""The runtime side: what checks a deploy's settings rather than its files on disk.

- ``guard``: the Python start-up guard (``from twinscan.guard import check_services``), from
  the compiled rules, cheap to import;
- ``tsguard``: the same guard emitted as a TypeScript module (`twinscan guard --emit ts`);
- ``envcheck``: `twinscan env`, the environment a deploy runs with;
- ``servicetable``: `twinscan services`, every vendor × every environment of a repository.

They reuse the scanner's rules, extractors and ``services`` index; the scanner never imports
them. This file imports nothing, so ``import twinscan.guard`` stays stdlib-only.
"""
