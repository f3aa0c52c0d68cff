"""Four guidance pages for `eval/formats.py`, written for this measurement in our own words from facts the
corpus states (knowledge/codes/104-…, 106-…, redaction/third-party-…, proxy-access/formal-proxy-…,
test-results/when-…). URLs and dates are those the corpus cites for these facts; titles are the pages' URL
slugs in words. They are fixtures for a measurement, not guidance: the product never reads them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ingest"))
from format_files import Page, Section  # noqa: E402

PAGES = [
    Page(
        title="Providing access to patient records",
        site="BMA",
        url="https://www.bma.org.uk/advice-and-support/gp-practices/gp-service-provision/accelerated-access-to-gp-held-patient-records-2023/providing-access-to-patient-records",
        date_line="Updated: 2 November 2023",
        sections=[
            Section("Holding back automatic access", [
                "A practice that needs to check a record before a patient sees new entries online adds the 104 "
                "code to that record. The 104 code stops the patient automatically receiving access to new "
                "(prospective) entries, and the practice must then review whether giving access would be safe.",
                "Only a very small number of individually identified patients should receive the 104 code. "
                "Practice reports can shortlist groups of patients, but each one is then reviewed individually.",
            ]),
            Section("What the 104 code does not change", [
                "The 104 code does not remove access that a patient already has. For a patient who already has "
                "online access, staff must also change the patient's record access settings by hand to restrict "
                "or remove access.",
            ], bullets=[
                "Apply the 104 code even if access was refused in the past: the code is what stops automatic "
                "access to future information.",
                "The code has no effect on historic record access that was set up earlier.",
            ]),
            Section("The codes", [
                "Two SNOMED CT codes are used. Their numeric identifiers are the same in every source.",
            ], table=[
                ["Code", "Meaning"],
                ["1364731000000104", "Enhanced review indicated before granting access to own health record"],
                ["1364751000000106", "Enhanced review not indicated before granting access to own health record"],
            ]),
            Section("Cancelling a 104 code", [
                "The 106 code overrides a 104 code, so the patient receives automatic access once they create "
                "an online account, for example by registering for the NHS App. A practice that bulk-applied "
                "the 104 code should bulk-apply the 106 code, then re-apply the 104 code only where there are "
                "safeguarding concerns.",
            ]),
        ],
    ),
    Page(
        title="Redacting information for online record access",
        site="NHS England",
        url="https://www.england.nhs.uk/long-read/redacting-information-for-online-record-access/",
        date_line="Published: 12 May 2023",
        sections=[
            Section("Third-party information", [
                "When a practice records information about another person, such as a relative or partner, that "
                "the patient does not already know, it must hide that information from the patient's online "
                "view. Information that refers to a third party should be assessed before it is shared online "
                "and a decision taken on redaction.",
                "Redaction works on whole entries, so third-party information can only be hidden by hiding the "
                "whole entry or document that contains it.",
            ]),
            Section("Names of health professionals", [
                "Information that identifies a health professional acting in the course of their duties should "
                "not normally be withheld as third-party information, so a clinician's name in an entry is not "
                "normally a reason to hide that entry.",
            ]),
            Section("Serious harm", [
                "Before information is withheld on serious-harm grounds, the doctor responsible for the "
                "patient's care must assess the risk and record the decision. The threshold is relatively "
                "high: information is not withheld simply because it might upset the patient.",
            ], bullets=[
                "The serious-harm exemption does not apply to information the patient already knows.",
                "Redacted information is hidden from the patient and from anyone with proxy access.",
            ]),
        ],
    ),
    Page(
        title="Proxy access good practice guidance",
        site="NHS England",
        url="https://www.england.nhs.uk/long-read/proxy-access/",
        date_line="Version 1.2, 10 August 2023",
        sections=[
            Section("Formal proxy access", [
                "Formal proxy access is recommended instead of a patient sharing their own login details with a "
                "relative or carer. The proxy signs in with their own login and their access can be tailored "
                "to what the patient wants, for example ordering repeat prescriptions only.",
            ], bullets=[
                "A patient can have several proxies, each with a different level of access.",
                "The clinical system may keep an audit trail of what the proxy does.",
                "The practice can withdraw a proxy's access without affecting the patient's own access.",
            ]),
            Section("Sharing a login", [
                "When a patient shares their login informally, the other person has exactly the same access as "
                "the patient, including the full record. There is no audit trail showing that someone else used "
                "the account, and the only way to stop the other person is to switch off the patient's own "
                "online access.",
            ]),
            Section("Young people", [
                "From the age of 16 a young person is treated as an adult, and the practice must get the young "
                "person's consent before a parent or guardian is given access to their record.",
            ]),
        ],
    ),
    Page(
        title="Online access to new GP health record information",
        site="NHS England",
        url="https://www.england.nhs.uk/long-read/online-access-to-new-gp-health-record-information/",
        date_line="Version 1.5, 26 June 2023",
        sections=[
            Section("When results appear", [
                "With prospective access a test result becomes visible to the patient online once it has been "
                "checked and filed in the GP clinical system, not when it first arrives at the practice. Waiting "
                "until filing gives the clinician the chance to contact the patient first.",
            ]),
            Section("Hiding a result", [
                "Entries, including results, can be hidden permanently or temporarily, for example hiding a "
                "sensitive result until the clinician has spoken to the patient.",
            ]),
            Section("Comments made when filing", [
                "In SystmOne, access to the full clinical record includes free text added to codes, results and "
                "consultations, so a comment added when a result is filed can be visible to the patient. Write "
                "filing comments on the assumption that the patient may read them.",
            ]),
            Section("Why online results help", [
                "Record access reduces the number of calls to practices about test results and referral "
                "notifications.",
            ]),
        ],
    ),
]

# (question, must-contain strings, index of the page that answers it). Written for this measurement.
QUESTIONS = [
    ("What does adding the 104 code to a record do?", ["new"], 0),
    ("Does the 104 code take away online access a patient already has?", ["by hand"], 0),
    ("What is the SNOMED number of the enhanced review indicated code?", ["1364731000000104"], 0),
    ("We bulk coded everyone with 104 by mistake, how do we undo it?", ["106"], 0),
    ("Can we hide information about a patient's relative from their online record?", ["hide"], 1),
    ("Do we need to redact the names of doctors from entries?", ["not normally"], 1),
    ("Who decides whether information is withheld because of serious harm?", ["doctor responsible"], 1),
    ("Why shouldn't a patient just give their daughter their NHS App login?", ["audit trail"], 2),
    ("Can a proxy be limited to ordering repeat prescriptions?", ["repeat prescriptions"], 2),
    ("At what age does a teenager need to consent to a parent seeing their record?", ["16"], 2),
    ("When does a patient see a blood test result in the app?", ["filed"], 3),
    ("Could a patient read the comment I add when filing a result in SystmOne?", ["visible"], 3),
    # from a table row, a list item, and a paragraph split across lines or pages in print
    ("What is the code for enhanced review not indicated?", ["1364751000000106"], 0),
    ("Does the serious harm exemption cover things the patient already knows?", ["already knows"], 1),
    ("If we redact an entry, can the patient's proxy still see it?", ["proxy"], 1),
    ("Can we hide a sensitive result until the GP has talked to the patient?", ["spoken"], 3),
]

# Text that is page furniture, never guidance: none of it may appear in a passage.
BOILERPLATE = ["Classification: Official", "12/05/2023, 14:32", "Cookies on the", "analytics cookies", "Health A to Z",
               "Live Well", "Privacy policy", "Accessibility statement", "Crown copyright", "Next review due"]
