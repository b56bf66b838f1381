"""Microsoft 365 / Outlook contacts through Microsoft Graph; the sign-in shared with SharePoint."""
