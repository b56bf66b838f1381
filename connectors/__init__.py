"""The built-in connector plugins, one sub-package each (`contacthub.connectors.<name>`)."""
