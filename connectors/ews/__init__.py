"""The `ews` connector: an Exchange Server (on-premises) contacts folder over EWS, with exchangelib."""
