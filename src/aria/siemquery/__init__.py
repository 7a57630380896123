"""`POST /api/v1/query`: one search across the organization's installed SIEMs."""
