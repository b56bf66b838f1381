"""contacthub: business contacts in one database, in step with one contact folder."""

__version__ = "0.1.0"
