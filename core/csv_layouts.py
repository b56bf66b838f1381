"""The column layouts of Outlook's and Google's contacts CSV files.

Outlook: the header Outlook's Import/Export wizard writes ("Export to a file >
Comma Separated Values"), in Microsoft's order, as listed on
https://support.microsoft.com/en-us/office/create-or-edit-csv-files-to-import-into-outlook-4518d70d-8fe9-46ad-94fa-1494247193c7
and reproduced by public tools that write it (e.g. the `fieldnames` list of
GitHub code found with the search tool: "Title","First Name","Middle Name",
"Last Name","Suffix","Company",... "User 4","Web Page").

Google: the "Google CSV" export of Google Contacts (https://support.google.com/contacts/answer/7199294):
"Name","Given Name","Additional Name","Family Name","Yomi Name",...,
"Group Membership", then numbered groups "E-mail 1 - Type","E-mail 1 - Value",
"Phone 1 - Type","Phone 1 - Value","Address 1 - Type","Address 1 - Formatted",
... "Organization 1 - Name" ..., "Website 1 - Value"; several values of one
kind are joined with " ::: " in one cell; a type starting with "* " marks the
primary value; "* myContacts" in Group Membership is Google's own group. The
2023 export names some columns differently ("First Name", "Labels",
"E-mail 1 - Label", "Organization Name"); both are read.
"""

from __future__ import annotations

OUTLOOK_HEADER = [
    "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title",
    "Business Street", "Business Street 2", "Business Street 3", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street", "Home Street 2", "Home Street 3",
    "Home City", "Home State", "Home Postal Code", "Home Country/Region", "Other Street", "Other Street 2",
    "Other Street 3", "Other City", "Other State", "Other Postal Code", "Other Country/Region",
    "Assistant's Phone", "Business Fax", "Business Phone", "Business Phone 2", "Callback", "Car Phone",
    "Company Main Phone", "Home Fax", "Home Phone", "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax",
    "Other Phone", "Pager", "Primary Phone", "Radio Phone", "TTY/TDD Phone", "Telex", "Account", "Anniversary",
    "Assistant's Name", "Billing Information", "Birthday", "Business Address PO Box", "Categories", "Children",
    "Directory Server", "E-mail Address", "E-mail Type", "E-mail Display Name", "E-mail 2 Address",
    "E-mail 2 Type", "E-mail 2 Display Name", "E-mail 3 Address", "E-mail 3 Type", "E-mail 3 Display Name",
    "Gender", "Government ID Number", "Hobby", "Home Address PO Box", "Initials", "Internet Free Busy",
    "Keywords", "Language", "Location", "Manager's Name", "Mileage", "Notes", "Office Location",
    "Organizational ID Number", "Other Address PO Box", "Priority", "Private", "Profession", "Referred By",
    "Sensitivity", "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page",
]  # fmt: skip

# Outlook's phone columns and the vCard types they stand for; the order is the order they are filled.
OUTLOOK_PHONES = [
    ("Mobile Phone", ("cell",)),
    ("Business Fax", ("work", "fax")),
    ("Home Fax", ("home", "fax")),
    ("Other Fax", ("fax",)),
    ("Pager", ("pager",)),
    ("Car Phone", ("car",)),
    ("ISDN", ("isdn",)),
    ("TTY/TDD Phone", ("textphone",)),
    ("Business Phone", ("work",)),
    ("Business Phone 2", ("work",)),
    ("Home Phone", ("home",)),
    ("Home Phone 2", ("home",)),
    ("Primary Phone", ()),
    ("Other Phone", ()),
    # Kinds vCard has no type for: kept as the value's label.
    ("Assistant's Phone", ()),
    ("Callback", ()),
    ("Company Main Phone", ()),
    ("Radio Phone", ()),
    ("Telex", ()),
]
OUTLOOK_LABELLED_PHONES = ("Assistant's Phone", "Callback", "Company Main Phone", "Radio Phone", "Telex")
# Outlook's three addresses: column prefix, vCard type, PO box column.
OUTLOOK_ADDRESSES = [
    ("Business", "work", "Business Address PO Box"),
    ("Home", "home", "Home Address PO Box"),
    ("Other", "other", "Other Address PO Box"),
]
OUTLOOK_EMAILS = [("E-mail Address", "E-mail Type"), ("E-mail 2 Address", "E-mail 2 Type"), ("E-mail 3 Address", "E-mail 3 Type")]
# Columns Outlook fills with a default that says nothing: not kept.
OUTLOOK_DEFAULTS = {"Gender": "Unspecified", "Priority": "Normal", "Sensitivity": "Normal", "Private": "False"}
OUTLOOK_NO_DATE = ("0/0/00", "00.00.00", "0.0.00", "0-0-00")

GOOGLE_HEADER_START = [
    "Name", "Given Name", "Additional Name", "Family Name", "Yomi Name", "Given Name Yomi", "Additional Name Yomi",
    "Family Name Yomi", "Name Prefix", "Name Suffix", "Initials", "Nickname", "Short Name", "Maiden Name",
    "Birthday", "Gender", "Location", "Billing Information", "Directory Server", "Mileage", "Occupation",
    "Hobby", "Sensitivity", "Priority", "Subject", "Notes", "Language", "Photo", "Group Membership",
]  # fmt: skip
GOOGLE_ADDRESS_PARTS = [
    ("Formatted", ""), ("Street", "street"), ("City", "locality"), ("PO Box", "po_box"), ("Region", "region"),
    ("Postal Code", "postal_code"), ("Country", "country"), ("Extended Address", "extended"),
]  # fmt: skip
GOOGLE_ORG_PARTS = ["Type", "Name", "Yomi Name", "Title", "Department", "Symbol", "Location", "Job Description"]
GOOGLE_MULTI = " ::: "
GOOGLE_OWN_GROUP = "* myContacts"
# Google's type names <-> vCard types.
GOOGLE_TYPES = {
    "home": ("home",), "work": ("work",), "other": ("other",), "mobile": ("cell",), "home fax": ("home", "fax"),
    "work fax": ("work", "fax"), "other fax": ("fax",), "pager": ("pager",), "main": ("main",),
}  # fmt: skip
# Other names the 2023 export gives the same columns.
GOOGLE_ALIASES = {
    "First Name": "Given Name", "Middle Name": "Additional Name", "Last Name": "Family Name", "Labels": "Group Membership",
    "Organization Name": "Organization 1 - Name", "Organization Title": "Organization 1 - Title",
    "Organization Department": "Organization 1 - Department",
}  # fmt: skip
