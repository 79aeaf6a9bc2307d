"""Writes to the source of truth: workspaces and tokens, members, tasks, runs, admission."""
