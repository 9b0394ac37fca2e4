"""Tests of antaris_like.budget: limits, ledger, the store contract, concurrency."""
