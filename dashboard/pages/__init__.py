"""The hospital staff and coordination pages: bed report, CSV upload, inbox, placements, notices."""
