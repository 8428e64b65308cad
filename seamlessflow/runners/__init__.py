"""runners layer (see DESIGN.md)."""
