"""The service layer: business rules with plain arguments and plain results.

Every face (the click CLI in `contacthub.cli`, the web app in `contacthub.web`)
calls these; no service imports a face (ARCHITECTURE.md, "The next shape").
"""
