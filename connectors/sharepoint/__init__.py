"""SharePoint contact lists through Microsoft Graph."""
