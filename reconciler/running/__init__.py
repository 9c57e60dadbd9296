"""Running: one server's plan and apply, fleets, the journal, results and standing."""
