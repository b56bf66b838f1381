"""`contacthub web`: a server-rendered web face (Starlette + Jinja2 + htmx) over the services.

Imported only by `contacthub web` (and tests): the CLI never loads it otherwise.
"""
