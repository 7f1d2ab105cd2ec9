"""Context gatherers: each reads one backend, parses its documented response shape with a pure
function, and reports a backend it cannot read instead of raising."""
