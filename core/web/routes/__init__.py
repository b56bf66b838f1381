"""One module per page: each lists its `routes`."""
