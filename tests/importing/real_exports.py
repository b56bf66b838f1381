"""Cards shaped as real exports write them: Outlook 2.1, Android/Google 3.0, Thunderbird, Windows Contacts.

None of these carries a UID (that is how their apps export), which is why a
second import used to double them (I1).
"""

from __future__ import annotations

# Outlook "Save as vCard" / Outlook 2016 export: 2.1, quoted-printable, windows-1252, REV, no UID.
OUTLOOK_21 = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;LANGUAGE=de:Dunker;Andrea\r\n"
    "FN:Andrea Dunker\r\n"
    "ORG:Fabrikam\r\n"
    "TITLE:Einkäuferin\r\n"
    "TEL;WORK;VOICE:+47 22 33 44 55\r\n"
    "ADR;WORK;PREF:;;Karl Johans gate 1;Oslo;;0154;Norwegen\r\n"
    "LABEL;WORK;PREF;ENCODING=QUOTED-PRINTABLE:Karl Johans gate 1=0D=0A=\r\n"
    "Oslo 0154\r\n"
    "EMAIL;PREF;INTERNET:andrea@fabrikam.example\r\n"
    "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2\r\n"
    "REV:20240101T120000Z\r\n"
    "END:VCARD\r\n"
).encode("windows-1252")

# Android contacts app export: 3.0, no UID; one card 2.1 quoted-printable UTF-8 as older Androids write.
ANDROID = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Groß;Jürgen;;;\r\n"
    "FN:Jürgen Groß\r\n"
    "TEL;TYPE=CELL:+49 151 23456789\r\n"
    "EMAIL;TYPE=HOME:juergen@example.de\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85str=C3=B6m;Bj=C3=B6rn;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Bj=C3=B6rn =C3=85str=C3=B6m\r\n"
    "TEL;CELL:+46701234567\r\n"
    "END:VCARD\r\n"
).encode()

# Google Contacts "vCard (for iOS Contacts)" export: 3.0, itemN labels, CATEGORIES, no UID.
GOOGLE = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:3.0\r\n"
    b"FN:Chen Wei\r\n"
    b"N:Wei;Chen;;;\r\n"
    b"item1.EMAIL;TYPE=INTERNET:chen.wei@example.cn\r\n"
    b"item1.X-ABLabel:Work\r\n"
    b"TEL;TYPE=CELL:+86 138 0013 8000\r\n"
    b"ORG:Northwind Traders\r\n"
    b"CATEGORIES:myContacts,Suppliers\r\n"
    b"END:VCARD\r\n"
)

# Thunderbird (older address book export) and Windows Contacts: 2.1, lower case, no UID.
THUNDERBIRD = (
    b"begin:vcard\r\n"
    b"fn:Anna Berg\r\n"
    b"n:Berg;Anna\r\n"
    b"org:Contoso;Sales\r\n"
    b"email;internet:anna@contoso.example\r\n"
    b"tel;work:+46 8 123 456 78\r\n"
    b"version:2.1\r\n"
    b"end:vcard\r\n"
)
WINDOWS_CONTACTS = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N:Okafor;Ngozi\r\n"
    b"FN:Ngozi Okafor\r\n"
    b"EMAIL;PREF;INTERNET:ngozi@tailspin.example\r\n"
    b"X-WAB-GENDER:1\r\n"
    b"END:VCARD\r\n"
)

# One file per app, as a user collects them in a folder (Outlook's file is windows-1252, the others UTF-8).
MIX = {"outlook.vcf": OUTLOOK_21, "android.vcf": ANDROID, "google.vcf": GOOGLE, "thunderbird.vcf": THUNDERBIRD,
       "windows.vcf": WINDOWS_CONTACTS}  # fmt: skip
MIX_NAMES = ["Andrea Dunker", "Anna Berg", "Björn Åström", "Chen Wei", "Jürgen Groß", "Ngozi Okafor"]


def card(uid: str, name: str, *lines: str, version: str = "3.0") -> str:
    given, _, family = name.partition(" ")
    body = "".join(line + "\r\n" for line in lines)
    return f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{name}\r\nN:{family};{given};;;\r\n{body}END:VCARD\r\n"
