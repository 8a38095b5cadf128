"""The HTTP API: the one door for hospital systems and other machines."""
