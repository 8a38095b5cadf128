"""The v1 wire contract: event models, topics and validation messages."""
