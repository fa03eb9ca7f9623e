"""The evaluation service's aggregates, one module per kind of stream. Pure: no I/O, no clock."""
