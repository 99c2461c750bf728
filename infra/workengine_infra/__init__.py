"""CDK infrastructure of the work engine (one stack, one construct per concern)."""
