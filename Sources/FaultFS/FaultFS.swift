// The FaultFS module; see DESIGN.md for its role.
import CFuse
