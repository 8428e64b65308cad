"""language layer (see DESIGN.md)."""
