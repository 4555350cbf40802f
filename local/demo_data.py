"""Realistic demo platform data, loaded by the importer `python -m functions.automations.importer` uses.

Times are relative ("now-20m", "today+14d"), so the data is current whenever it is loaded: work is due on
the first run of every job. A few contacts and one customer sit at a domain SES has not verified, so a new
user sees what a rejected address looks like: a PARTIAL run with those items' errors.

`python -m local.demo_data > demo.json` writes the same data as an example import file.
"""

from __future__ import annotations

import json
import random
from typing import Any

import boto3

from functions.automations.importer import import_records

SEED = 2026
STAFF_DOMAIN = "devsphere.example"
CUSTOMER_DOMAINS = (
    "northwind.example",
    "contoso.example",
    "fabrikam.example",
    "tailspin.example",
    "wingtip.example",
    "adatum.example",
    "litware.example",
    "proseware.example",
    "lucerne.example",
    "woodgrove.example",
)
# Never verified: SES (in the sandbox, as in a new AWS account) refuses to send to it.
REJECTED_DOMAIN = "unverified-partner.example"
CONTACTS = 320
REJECTED_CONTACTS = 3

_FIRST = (
    "Ada",
    "Alan",
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farah",
    "Gareth",
    "Hana",
    "Ivan",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Nico",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
)
_LAST = (
    "Okafor",
    "Lindqvist",
    "Mensah",
    "Novak",
    "Rossi",
    "Tanaka",
    "Walsh",
    "Kowalski",
    "Haddad",
    "Moreau",
    "Patel",
    "Silva",
    "Jensen",
    "Byrne",
    "Costa",
    "Nakamura",
    "Adeyemi",
    "Larsen",
    "Dubois",
    "Fischer",
)
_STAFF = (
    ("u-maria", "Maria Gomez", "Europe/London"),
    ("u-tom", "Tom Baker", "Europe/London"),
    ("u-aisha", "Aisha Khan", "Europe/London"),
    ("u-luis", "Luis Ortega", "America/New_York"),
    ("u-mei", "Mei Chen", "Asia/Singapore"),
)
_DEAL_KINDS = ("expansion", "renewal", "pilot", "platform")
_STAGES = ("prospecting", "qualified", "proposal", "negotiation", "closed won", "closed lost")


def generate(seed: int = SEED) -> dict[str, Any]:
    """The demo data in the import format (docs/platform-data.md); the same seed gives the same data."""
    rng = random.Random(seed)
    users = [
        {"id": user_id, "name": name, "email": f"{name.split()[0].lower()}@{STAFF_DOMAIN}", "timezone": zone}
        for user_id, name, zone in _STAFF
    ]
    owners = [user["id"] for user in users]
    contacts = _contacts(rng, owners)
    return {
        "version": 1,
        "users": users,
        "contacts": contacts,
        "deals": _deals(rng, owners),
        "sequences": _sequences(),
        "enrollments": _enrollments(rng, contacts),
        "follow_ups": _follow_ups(rng, owners, contacts),
        "subscriptions": _subscriptions(rng, owners),
        "reports": _reports(),
    }


def _company(domain: str) -> str:
    return domain.split(".", maxsplit=1)[0].replace("-", " ").title()


def _contacts(rng: random.Random, owners: list[str]) -> list[dict[str, Any]]:
    contacts = []
    for number in range(1, CONTACTS + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        rejected = number <= REJECTED_CONTACTS
        domain = REJECTED_DOMAIN if rejected else rng.choice(CUSTOMER_DOMAINS)
        contact: dict[str, Any] = {
            "id": f"c-{number:04d}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{number}@{domain}",
            "company": _company(domain),
            "owner_id": rng.choice(owners),
        }
        # Some contacts stop their sequence: the run skips them and says why.
        if number % 41 == 0:
            contact["replied"] = True
        elif number % 53 == 0:
            contact["unsubscribed"] = True
        contacts.append(contact)
    return contacts


def _deals(rng: random.Random, owners: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"d-{number:03d}",
            "name": f"{_company(rng.choice(CUSTOMER_DOMAINS))} {rng.choice(_DEAL_KINDS)}",
            "stage": rng.choice(_STAGES),
            "amount": f"{rng.randrange(5, 250) * 1000}.00",
            "owner_id": rng.choice(owners),
            "close_date": f"today{rng.randrange(-20, 120):+d}d",
        }
        for number in range(1, 61)
    ]


def _sequences() -> list[dict[str, Any]]:
    def step(delay: int, subject: str, body: str) -> dict[str, Any]:
        return {"delay_minutes": delay, "subject": subject, "body": body}

    day = 24 * 60
    return [
        {
            "id": "seq-trial",
            "name": "Trial onboarding",
            "steps": [
                step(
                    0,
                    "Welcome to DevSphere, {first_name}",
                    "Hi {first_name},\n\nYour trial is ready.\n\n{owner_name}",
                ),
                step(
                    2 * day,
                    "{company}: three things to try first",
                    "Hi {first_name}, here is where to start.",
                ),
                step(
                    5 * day,
                    "How is the trial going?",
                    "Hi {first_name}, shall we talk? Reply to {owner_email}.",
                ),
            ],
        },
        {
            "id": "seq-webinar",
            "name": "Webinar follow-up",
            "steps": [
                step(0, "Thanks for joining, {first_name}", "The recording and slides are attached."),
                step(
                    3 * day,
                    "Questions from the webinar?",
                    "Hi {first_name}, {owner_name} can walk {company} through it.",
                ),
            ],
        },
        {
            "id": "seq-winback",
            "name": "Win-back",
            "steps": [
                step(0, "We miss you at {company}", "Hi {first_name}, a lot has changed since you left."),
                step(7 * day, "A last note from {owner_name}", "Hi {first_name}, the door is always open."),
                step(
                    14 * day, "Closing your file", "Hi {first_name}, we will not write again unless you ask."
                ),
                step(30 * day, "One year of DevSphere", "Hi {first_name}, here is what is new this year."),
            ],
        },
    ]


def _enrollments(rng: random.Random, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = {"seq-trial": 3, "seq-webinar": 2, "seq-winback": 4}
    enrollments = []
    for index, contact in enumerate(contacts[:240]):
        sequence = rng.choice(sorted(steps))
        # Three in four are due now; the rest come due over the next days.
        due = (
            f"now-{rng.randrange(1, 90)}m"
            if index % 4 or index < REJECTED_CONTACTS
            else f"now+{rng.randrange(1, 72)}h"
        )
        enrollments.append(
            {
                "id": f"e-{index + 1:04d}",
                "contact_id": contact["id"],
                "sequence_id": sequence,
                "current_step": rng.randrange(steps[sequence]),
                "next_send_at": due,
            }
        )
    return enrollments


def _follow_ups(
    rng: random.Random, owners: list[str], contacts: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    notes = (
        "Call about the proposal",
        "Send the security questionnaire",
        "Check in after the demo",
        "Confirm budget",
    )
    return [
        {
            "id": f"f-{number:03d}",
            "owner_id": rng.choice(owners),
            "contact_id": rng.choice(contacts[REJECTED_CONTACTS:])["id"],
            "due_at": f"now-{rng.randrange(5, 180)}m" if number <= 14 else f"now+{rng.randrange(1, 96)}h",
            "note": rng.choice(notes),
        }
        for number in range(1, 41)
    ]


def _subscriptions(rng: random.Random, owners: list[str]) -> list[dict[str, Any]]:
    subscriptions = []
    for number in range(1, 46):
        domain = REJECTED_DOMAIN if number == 1 else rng.choice(CUSTOMER_DOMAINS)
        # Renewals 30, 14, 7 and 1 days away have a reminder due today; others fall between offsets.
        days = (30, 14, 7, 1)[number % 4] if number <= 16 else rng.randrange(2, 120)
        subscriptions.append(
            {
                "id": f"s-{number:03d}",
                "customer": f"{_company(domain)} ({number})",
                "owner_id": rng.choice(owners),
                "contact_email": f"billing{number}@{domain}",
                "contact_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "renewal_date": f"today+{days}d",
            }
        )
    return subscriptions


def _reports() -> list[dict[str, Any]]:
    leaders = [f"ceo@{STAFF_DOMAIN}", f"admin@{STAFF_DOMAIN}"]
    return [
        {
            "id": "r-pipeline",
            "name": "Daily pipeline summary",
            "type": "pipeline_summary",
            "frequency": "daily",
            "recipients": leaders,
            "next_due_at": "now-10m",
        },
        {
            "id": "r-renewals",
            "name": "Weekly upcoming renewals",
            "type": "upcoming_renewals",
            "frequency": "weekly",
            "weekday": "monday",
            "recipients": leaders,
            "next_due_at": "now-10m",
        },
        {
            "id": "r-health",
            "name": "Monthly automation health",
            "type": "automation_health",
            "frequency": "monthly",
            "recipients": [f"admin@{STAFF_DOMAIN}"],
        },
    ]


def verify_recipients(data: dict[str, Any]) -> None:
    """The customers' domains and the staff's own addresses are verified identities, as test inboxes are in
    a sandboxed SES account. Staff addresses one by one, not their domain: the sender's domain stays
    unverified, so the sender address alone decides whether SES sends (the `failing` demo scenario)."""
    ses = boto3.client("ses")
    for domain in CUSTOMER_DOMAINS:
        ses.verify_domain_identity(Domain=domain)
    staff = {user["email"] for user in data["users"]}
    staff.update(address for report in data["reports"] for address in report["recipients"])
    for address in sorted(staff):
        ses.verify_email_identity(EmailAddress=address)


class DemoDataError(RuntimeError):
    """The importer refused some of the demo data: the generator and the import format disagree."""


def load() -> str:
    """Imports the demo data and returns the importer's summary."""
    data = generate()
    verify_recipients(data)
    result = import_records(data)
    if not result.ok:
        raise DemoDataError(result.summary())
    return result.summary()


if __name__ == "__main__":
    print(json.dumps(generate(), indent=2))
