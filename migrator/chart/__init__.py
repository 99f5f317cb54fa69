"""The `adaptive` chart: its packages, Helm renders of them, its names and its version facts."""
