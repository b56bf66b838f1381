"""vCard 2.1 / 3.0 / 4.0 text <-> `Contact`: the public names, and the decisions.

The work is split along its seams:

- `vcard_scan`: bytes (streamed in chunks) -> logical lines -> raw cards, with the
  limits (MAX_LINE_BYTES, MAX_CARD_BYTES, MAX_PROPERTIES) applied before decoding;
- `vcard_props`: one line -> a property (group, name, parameters in order, value;
  quoted-printable and CHARSET decoded in one place), text value helpers;
- `vcard_values`: TYPE/PREF, dates and photos in the model's form;
- `vcard_read`: properties -> `Contact` or `CardGroup`; `VCardStream` (one file,
  incrementally) and `read_vcards` (bytes at hand);
- `vcard_write`: `Contact` -> vCard 3.0 / 4.0 text.

Why not `vobject.readComponents` end to end: it reads a whole string, stops at the
first bad line of a file (we must skip one bad card and go on), keeps a card's
properties in a dict keyed by name (file order is lost), merges parameters into a
dict (their order is lost), rewrites ``_`` in property names, refuses Samsung's
``X-CUSTOM(...)`` parameters, and its quoted-printable decoding raises on bytes that
are not valid in the declared charset.

Decisions (each one kept exact by a round trip: read -> write -> read is equal):

- Nothing is lost, and what the model does not map is written back as read (S2,
  S11): unknown properties go to `Contact.extra` (name, group, parameters in order,
  raw value); unmapped parameters of EMAIL/TEL/ADR/URL/IMPP (``X-NC-SCOPE``, 4.0
  ``PID``, ADR ``LABEL=``, IMPP ``X-SERVICE-TYPE``) stay on the value (`params`),
  and so does its group (Apple/Google ``itemN`` are never renumbered); those of
  single-valued properties (``N;SORT-AS=``, ``BDAY;X-APPLE-OMIT-YEAR=``) go to
  `Contact.params` / `Contact.groups`.
- VERSION and PRODID are regenerated on writing; they never go to `extra`.
- REV is the storing app's clock, not contact data: it never goes to `extra`
  (kept there, it was written back stale forever); connectors read it from the
  card text to order edits (`RemoteItem.changed_at`).
- A card without UID gets a new uuid4; a card without FN gets `best_name()` as its
  display name (what the writer puts in FN).
- Labels: Apple/Google ``itemN.X-ABLabel`` on EMAIL, TEL, ADR, URL or IMPP, and
  Samsung's vCard 2.1 ``X-CUSTOM(CHARSET=..,ENCODING=QUOTED-PRINTABLE,<label>)``,
  go to that value's `label`, decoded (``_$!<Other>!$_`` becomes "Other"). Labels
  are written as ``itemN.X-ABLabel`` (Apple's built-in names wrapped again); a new
  label gets the first free ``itemN``.
- Type values are lower-cased; ``pref`` becomes `pref=True` (3.0 ``TYPE=pref``, 2.1
  bare ``PREF``, 4.0 ``PREF=1``); the implied email type ``internet`` is dropped.
- IMPP goes to `ims`; the legacy X-JABBER, X-SKYPE ... stay in `extra`, verbatim.
- BDAY, ANNIVERSARY and X-ANNIVERSARY become ISO dates: ``YYYY-MM-DD``, ``--MM-DD``,
  or with reduced accuracy (RFC 6350 4.3.1) ``YYYY``, ``YYYY-MM``, ``--MM``,
  ``---DD``. Apple's ``X-APPLE-OMIT-YEAR`` year reads as ``--MM-DD`` and is written
  back in Apple's form. A value that is not a date stays in `extra`.
- A PHOTO without a media type gets the one its bytes show (JPEG, PNG, GIF).
- N keeps RFC 9554's sixth and seventh components.
- Empty EMAIL/TEL/URL/IMPP/ADR values are dropped (they hold nothing).
- A second FN, N, UID, BDAY ... and a PHOTO that cannot be decoded go to `extra`.
- 2.1 values: quoted-printable and CHARSET are decoded and those parameters dropped
  (the output is UTF-8); decoded line breaks become ``\\n``. Bare parameters become
  ``TYPE=<value>`` (``BASE64`` becomes ``ENCODING=b``).
- Groups (4.0 ``KIND:group``, Apple/Nextcloud ``X-ADDRESSBOOKSERVER-KIND:group``)
  are never contacts: they are read as `CardGroup` (name, uid, member URIs).
- Refused, one report line per card naming the file, its BEGIN line and its FN/UID
  (I2): a card with no name, company or e-mail; a VERSION other than 2.1/3.0/4.0; a
  NUL byte or a bare CR in a line; a card over a limit; nested BEGIN:VCARDs. A file
  that does not start with BEGIN:VCARD is "not a vCard file", one line.
"""

from __future__ import annotations

from contacthub.vcard_props import APPLE_LABEL_RE as _APPLE_LABEL_RE
from contacthub.vcard_props import with_groups
from contacthub.vcard_read import MAX_PROBLEMS, SERVER_CLOCK, CardGroup, ReadResult, VCardStream, read_vcards
from contacthub.vcard_scan import MAX_CARD_BYTES, MAX_LINE_BYTES, MAX_PROPERTIES
from contacthub.vcard_write import FOLD_OCTETS, PRODID, VERSIONS, to_vcard, to_vcards

__all__ = [
    "FOLD_OCTETS",
    "MAX_CARD_BYTES",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "MAX_PROPERTIES",
    "PRODID",
    "SERVER_CLOCK",
    "VERSIONS",
    "CardGroup",
    "ReadResult",
    "VCardStream",
    "read_vcards",
    "to_vcard",
    "to_vcards",
    "with_groups",
    "_APPLE_LABEL_RE",
]
