"""Producers: validate input and publish events to Kafka (or queue them while it is away)."""
