"""Bedboard: live, shared hospital-bed status for crisis response."""
