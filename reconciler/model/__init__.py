"""The domain model: what a server is, what the state files say, and how the product behaves."""
