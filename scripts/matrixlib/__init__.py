"""Matrix runner library: parse a matrix, plan its cells, check the target,
collect provenance, run fio, validate the result layout (results/README.md)."""
