"""Loading: a run folder read into tidy frames and facts; imports no other layer of the report."""
