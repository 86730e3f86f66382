"""ptsdrx: open precision medicine for PTSD."""
