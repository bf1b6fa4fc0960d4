// The built-in executors (to come).
print("{\"status\":\"failure\",\"error\":\"not built yet\"}")
