"""The double random draw: the pure algorithm, and the command that records and verifies it."""
