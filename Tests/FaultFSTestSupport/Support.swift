// Shared helpers for tests that mount.
