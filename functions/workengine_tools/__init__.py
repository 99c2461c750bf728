"""Development tooling around the work engine runtime: the `workengine` command, the local server and the
benchmark. Depends on the runtime package (``workengine``); the runtime never imports this package and the
Lambda asset does not contain it."""
