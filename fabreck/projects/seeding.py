"""Demo and benchmark data for prototyping projects (placeholder)."""
