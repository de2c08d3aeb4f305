"""The conversation core: a turn in, a grounded answer out (loop, backends, offline model, composer, guard)."""
