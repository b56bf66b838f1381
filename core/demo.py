"""`contacthub demo`: sample business contacts for a first look (the server part is `contacthub.server`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import contacthub

# The repository's examples (present in a source checkout / editable install).
EXAMPLES = Path(contacthub.__file__).resolve().parent.parent / "examples" / "contacts.vcf"
UID_PREFIX = "5d0a0f0e-example-"  # every sample card's UID starts so; tells samples from the user's own

# A few more, so the phone shows a list rather than three lines.
MORE = """\
BEGIN:VCARD
VERSION:3.0
UID:5d0a0f0e-example-amara
FN:Amara Okafor
N:Okafor;Amara;;;
ORG:Tailspin Toys;Sales
TITLE:Key account manager
EMAIL;TYPE=INTERNET,WORK:amara.okafor@tailspin.example
TEL;TYPE=CELL:+44 7700 900123
ADR;TYPE=WORK:;;221 Baker Street;London;;NW1 6XE;United Kingdom
CATEGORIES:Customers
END:VCARD
BEGIN:VCARD
VERSION:3.0
UID:5d0a0f0e-example-mei
FN:Mei Tanaka
N:Tanaka;Mei;;;
ORG:Litware Inc.
TITLE:Head of procurement
EMAIL;TYPE=INTERNET,WORK:mei.tanaka@litware.example
TEL;TYPE=WORK,VOICE:+81 3 1234 5678
CATEGORIES:Customers
NOTE:Met at the Osaka trade fair.
END:VCARD
BEGIN:VCARD
VERSION:3.0
UID:5d0a0f0e-example-lucas
FN:Lucas Moreau
N:Moreau;Lucas;;;
ORG:Adventure Works SARL
TITLE:Logistics
EMAIL;TYPE=INTERNET,WORK:l.moreau@adventure-works.example
TEL;TYPE=WORK,VOICE:+33 1 23 45 67 89
ADR;TYPE=WORK:;;12 rue de Rivoli;Paris;;75004;France
CATEGORIES:Suppliers
END:VCARD
BEGIN:VCARD
VERSION:3.0
UID:5d0a0f0e-example-sofia
FN:Sofia Lindqvist
N:Lindqvist;Sofia;;;
ORG:Woodgrove Bank
TITLE:Relationship manager
EMAIL;TYPE=INTERNET,WORK:sofia.lindqvist@woodgrove.example
TEL;TYPE=CELL:+46 70 123 45 67
CATEGORIES:Partners
END:VCARD
"""


@dataclass
class SampleReport:
    added: int = 0
    present: int = 0
    foreign: int = 0  # records that are not samples: the user's own data


def sample_cards() -> bytes:
    text = EXAMPLES.read_text(encoding="utf-8") if EXAMPLES.is_file() else ""
    return (text.rstrip("\n") + "\n" + MORE).lstrip("\n").encode("utf-8")


def count_foreign(database) -> int:
    """Records (in Deleted Items too) that are not samples."""
    with database.transaction(readonly=True) as tx:
        return sum(1 for r in tx.records.list(deleted=None) if not (r.contact.uid or "").startswith(UID_PREFIX))


def add_samples(database) -> SampleReport:
    """Add the sample cards whose UID is not in the database yet (live or deleted).

    Unlike `import`, a sample already there is left as it is, so a second demo
    neither duplicates nor undoes an edit made on the phone.
    """
    from contacthub.vcard import read_vcards

    report = SampleReport()
    result = read_vcards(sample_cards(), source="demo samples")
    with database.transaction() as tx:
        known = {r.contact.uid for r in tx.records.list(deleted=None)}
        for contact in result.contacts:
            if contact.uid in known:
                report.present += 1
                continue
            tx.records.add(contact, source="import:demo")
            known.add(contact.uid)
            report.added += 1
    return report
