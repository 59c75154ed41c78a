"""Which column of a file fills which field of the record (R-IMP-1).

Fields are named as in the API's create inputs (`createContact`'s `firstName`,
`businessPhone`, …, with the address parts flat: `addressLine`, `city`, `postalCode`,
`country`), plus `account` for a contact and `parentAccount` for an account: the account
by name or by id.

Columns are matched to fields by their normalised header (case, spaces and punctuation
ignored) against the field's own name and common aliases ("E-mail", "Surname", "Zip" …);
when two columns match one field, the first one wins and the other is ignored. An explicit
mapping (column → field, or → nothing to ignore the column) overrides that, and a mapping
naming a column the file does not have or a field the type does not have is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.rules import records as record_rules
from graph.rules.custom_fields import FieldDefinition
from graph.rules.errors import DomainError, ErrorCode, Problem

# Storage names of the plain text fields, the yes/no fields and the link, per record type.
TEXT_FIELDS = {
    "ACCOUNT": ("name", "phone", "email", "website", "industry", "address_line", "city", "postal_code", "country",
                "external_id"),
    "CONTACT": ("first_name", "last_name", "email", "phone", "mobile_phone", "job_title", "address_line", "city",
                "postal_code", "country", "external_id"),
}
FLAG_FIELDS = {"ACCOUNT": (), "CONTACT": ("do_not_phone", "do_not_email", "do_not_text")}
# The field naming another record (by name or id), and the column it fills.
LINK_FIELDS = {"ACCOUNT": ("parentAccount", "parent_account_id"), "CONTACT": ("account", "account_id")}

# Other spellings of a field, normalised (see `normalise`); a field's own name always matches.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "CONTACT": {
        "firstName": ("firstname", "givenname", "forename", "first"),
        "lastName": ("lastname", "surname", "familyname", "last"),
        "email": ("email", "emailaddress", "mail", "email1", "primaryemail"),
        "businessPhone": ("businessphone", "phone", "phonenumber", "telephone", "workphone", "officephone", "tel"),
        "mobilePhone": ("mobilephone", "mobile", "mobilenumber", "cellphone", "cell"),
        "jobTitle": ("jobtitle", "title", "position"),
        "addressLine": ("addressline", "address", "addressline1", "address1", "street", "streetaddress"),
        "city": ("city", "town"),
        "postalCode": ("postalcode", "zip", "zipcode", "postcode"),
        "country": ("country", "countryregion"),
        "account": ("account", "accountname", "accountid", "company", "companyname", "organisation",
                    "organization"),
        "doNotPhone": ("donotphone", "donotcall"),
        "doNotEmail": ("donotemail",),
        "doNotText": ("donottext", "donotsms"),
        "externalId": ("externalid", "externalkey", "sourceid"),
    },
    "ACCOUNT": {
        "name": ("name", "accountname", "company", "companyname", "organisation", "organization"),
        "phone": ("phone", "businessphone", "mainphone", "phonenumber", "telephone", "tel"),
        "email": ("email", "emailaddress", "mail"),
        "website": ("website", "web", "url", "homepage", "websiteurl"),
        "industry": ("industry", "sector"),
        "addressLine": ("addressline", "address", "addressline1", "address1", "street", "streetaddress"),
        "city": ("city", "town"),
        "postalCode": ("postalcode", "zip", "zipcode", "postcode"),
        "country": ("country", "countryregion"),
        "parentAccount": ("parentaccount", "parent", "parentaccountname", "parentaccountid", "parentcompany"),
        "externalId": ("externalid", "externalkey", "sourceid"),
    },
}


def normalise(header: str) -> str:
    """"E-mail Address" → "emailaddress": case, spaces and punctuation do not matter."""
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def fields_of(record_type: str) -> dict[str, str]:
    """API field name → storage name (the link field maps to its id column)."""
    names = {api_name(record_type, n): n for n in (*TEXT_FIELDS[record_type], *FLAG_FIELDS[record_type])}
    link, column = LINK_FIELDS[record_type]
    return {**names, link: column}


def api_name(record_type: str, storage: str) -> str:
    """`phone` → `businessPhone` on a contact, `do_not_email` → `doNotEmail`."""
    head, *rest = record_rules.input_name(record_type, storage).split("_")
    return head + "".join(part.title() for part in rest)


# Custom fields (R-QRY-2) fill `custom_fields`; their storage names say which field.
CUSTOM_PREFIX = "custom:"
# Lookups name a record by id, which the import does not check yet: they are not importable.
NOT_IMPORTABLE = ("LOOKUP",)


@dataclass(frozen=True)
class ColumnMapping:
    record_type: str
    # Every header of the file in order, with the API field it fills (None: ignored).
    columns: tuple[tuple[str, str | None], ...]
    # The type's custom fields that columns may fill (matched by label, or by name).
    custom: tuple[FieldDefinition, ...] = ()

    @property
    def mapped(self) -> tuple[tuple[str, str], ...]:
        return tuple((c, f) for c, f in self.columns if f is not None)


def custom_fields_of(custom: Sequence[FieldDefinition]) -> dict[str, str]:
    """API name → storage name of the importable custom fields."""
    return {d.name: CUSTOM_PREFIX + d.name for d in custom if not d.retired and d.type not in NOT_IMPORTABLE}


def map_columns(record_type: str, headers: Sequence[str],
                explicit: Sequence[tuple[str, str | None]] | None = None,
                custom: Sequence[FieldDefinition] = ()) -> ColumnMapping:
    """Auto-map the headers, apply the explicit mapping, and require the required fields.

    A custom field matches a header equal to its label (or name), case, spaces and
    punctuation ignored; a built-in field's name or alias wins over a label.
    """
    importable = [d for d in custom if d.name in custom_fields_of(custom)]
    fields = {**custom_fields_of(importable), **fields_of(record_type)}
    chosen = _explicit(record_type, headers, explicit or (), fields)
    by_alias = _alias_index(record_type, fields)
    for definition in importable:
        by_alias.setdefault(normalise(definition.label), definition.name)
    taken = {f for f in chosen.values() if f is not None}
    columns: list[tuple[str, str | None]] = []
    for header in headers:
        if header in chosen:
            columns.append((header, chosen[header]))
            continue
        field = by_alias.get(normalise(header))
        if field is not None and field not in taken:
            taken.add(field)
            columns.append((header, field))
        else:
            columns.append((header, None))
    mapping = ColumnMapping(record_type, tuple(columns), tuple(importable))
    _require(record_type, mapping, fields)
    return mapping


def _alias_index(record_type: str, fields: Mapping[str, str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for field, storage in fields.items():
        for spelling in (normalise(field), normalise(storage), *ALIASES[record_type].get(field, ())):
            index.setdefault(spelling, field)
    return index


def _explicit(record_type: str, headers: Sequence[str], explicit: Sequence[tuple[str, str | None]],
              fields: Mapping[str, str]) -> dict[str, str | None]:
    """Header → field (or None) from the caller's mapping; every problem at once."""
    by_field = {normalise(f): f for f in fields}
    problems: list[Problem] = []
    chosen: dict[str, str | None] = {}
    used: dict[str, int] = {}
    for index, (column, wanted) in enumerate(explicit):
        path = ("input", "mapping", str(index))
        header = _find_header(headers, column)
        if header is None:
            problems.append(Problem(ErrorCode.VALIDATION, f"the file has no column '{column}'", (*path, "column")))
            continue
        if header in chosen:
            problems.append(Problem(ErrorCode.VALIDATION, f"the column '{header}' is mapped twice", (*path, "column")))
            continue
        field = by_field.get(normalise(wanted)) if wanted else None
        if wanted and field is None:
            known = ", ".join(sorted(fields))
            problems.append(Problem(ErrorCode.VALIDATION,
                                    f"a {record_type.lower()} has no field '{wanted}'; fields: {known}",
                                    (*path, "field")))
            continue
        if field is not None and field in used:
            problems.append(Problem(ErrorCode.VALIDATION,
                                    f"{field} is already filled from mapping {used[field]}", (*path, "field")))
            continue
        if field is not None:
            used[field] = index
        chosen[header] = field
    if problems:
        raise DomainError(problems=problems)
    return chosen


def _find_header(headers: Sequence[str], column: str) -> str | None:
    """The header as written, else the only one equal ignoring case and surrounding spaces."""
    if column in headers:
        return column
    loose = [h for h in headers if h.strip().casefold() == column.strip().casefold()]
    return loose[0] if len(loose) == 1 else None


def _require(record_type: str, mapping: ColumnMapping, fields: Mapping[str, str]) -> None:
    filled = {fields[f] for _, f in mapping.mapped}
    missing = [api_name(record_type, n) for n in record_rules.REQUIRED.get(record_type, ())
               if n not in filled]
    missing += [d.name for d in mapping.custom if d.required and CUSTOM_PREFIX + d.name not in filled]
    if missing:
        raise DomainError(problems=[
            Problem(ErrorCode.VALIDATION,
                    f"no column is mapped to {name}, which a {record_type.lower()} needs; map a column to it "
                    f"in the mapping", ("input", "mapping"))
            for name in missing
        ])
