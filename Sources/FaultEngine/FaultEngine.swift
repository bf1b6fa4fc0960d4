// The FaultEngine module; see DESIGN.md for its role.
