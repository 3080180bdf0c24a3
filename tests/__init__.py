"""kdumpwiz's test suite (engine tests on fixture roots, CLI, code rules)."""
