"""The default rule pack: one YAML file per rule, shipped as package data (twinscan.rules)."""
