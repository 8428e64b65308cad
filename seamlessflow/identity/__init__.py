"""identity layer (see DESIGN.md)."""
