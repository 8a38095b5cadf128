"""The dashboard's pages, one file each; each reads top to bottom as what the user sees."""
