"""Showcases: realistic scenarios with history, seeded through the engine's own services (one module per
scenario; ``service`` runs them once per tenant)."""
