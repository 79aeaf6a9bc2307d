"""Loop Desk Cost: the library behind app.py (everything but the wiring)."""
