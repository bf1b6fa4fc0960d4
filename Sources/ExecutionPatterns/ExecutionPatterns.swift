// The ExecutionPatterns module; see DESIGN.md for its role.
