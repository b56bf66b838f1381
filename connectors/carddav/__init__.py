"""The CardDAV connector: one address book on a CardDAV server (RFC 6352, 6578, 6764)."""
