"""The read side: every figure is answered from aggregates, never by reading every run."""
