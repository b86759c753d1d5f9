"""Analysis: every number the report shows, computed from a loaded run; imports only the loading
layer."""
