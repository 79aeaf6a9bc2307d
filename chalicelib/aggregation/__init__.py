"""Stream records -> typed deltas -> idempotent transactional writes; rebuild."""
