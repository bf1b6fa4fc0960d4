// The Harness module; see DESIGN.md for its role.
