"""A third-party plugin written exactly like a built-in one."""

from contacthub.connector import ConnectorInfo
from contacthub.hookspecs import hookimpl
from contacthub.testing import MemoryConnector


@hookimpl
def contacthub_connectors():
    """The hello connector: an in-memory folder, enough to be listed and opened."""
    return [
        ConnectorInfo(
            name="hello",
            factory=lambda options, context: MemoryConnector(),
            description="Hello from a third-party plugin",
            options={"location": "ignored"},
        )
    ]
