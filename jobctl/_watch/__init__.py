"""Watching jobs: when to poll which job (schedule, budgets, the likelihood policy)."""
