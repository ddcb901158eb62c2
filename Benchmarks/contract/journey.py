"""The demo journey through a Python client generated from the served contract (openapi-python-client).

donor -> lot -> vials -> QC -> release -> enrol -> plan -> commit -> pick -> ship -> receive -> readiness (a refused
thaw, the infusion moved to today, a signed clearance) -> thaw -> administer -> custody -> every export format -> verify, and an import (multipart and raw CSV), each step through the generated
client's typed models. The patient's anti-HLA antibodies rule out every demo lot, so the plan must take the lot made
here: the chain donor -> lot -> patient is one.

    python journey.py BASE_URL          (tokens in CRYOLEDGER_TOKEN_<ROLE>, as demo-tokens.env has them)
Prints one line per step and exits 1 at the first unexpected answer.
"""
import datetime
import io
import json
import os
import sys
import uuid

from cryo_ledger_client import AuthenticatedClient, Client
from cryo_ledger_client.api.clinical import (clear_for_infusion, enroll_patient, get_infusion_readiness, get_patient, get_study,
                                             reschedule_infusion)
from cryo_ledger_client.api.custody import (export_custody_csv, export_custody_json, export_custody_ndjson, export_custody_pdf,
                                            list_custody_events, verify_audit_trail)
from cryo_ledger_client.api.donors import get_donor, register_donor
from cryo_ledger_client.api.health import health, ready
from cryo_ledger_client.api.imports import import_batch
from cryo_ledger_client.api.lots import change_lot_status, get_lot, register_lot
from cryo_ledger_client.api.pharmacy import (administer_vial, commit_allocation, get_pick_list, get_plan_instance, pick_allocation,
                                             plan_allocation, receive_shipment, ship_vials, thaw_vial)
from cryo_ledger_client.api.products import get_product
from cryo_ledger_client.api.release import get_certificate_of_analysis, record_qc_result, release_lot
from cryo_ledger_client.api.storage import create_box, create_rack
from cryo_ledger_client.api.vials import create_vials, get_vial
from cryo_ledger_client.models import (AdministrationInput, BoxInput, ClearanceInput, CommitInput, CustodyExport, DonorInput, DonorInputEligibility,
                                       EligibilityAnswer, EnrolmentInput, ImportBatchFilesBody, ImportBatchKind, ListCustodyEventsSubjectType,
                                       LotInput, LotStatus, LotStatusChange, PickInput, PlanInput, QcResultInput, RackInput, ReceiptInput, ReleaseInput,
                                       ReleaseInputKind, RescheduleInput, ScreeningTest, ScreeningTestResult, ShipmentInput, SignatureInput,
                                       ThawInput, VialBatchInput)
from cryo_ledger_client.types import UNSET, File

BASE = sys.argv[1]
QA_PASSWORD = "demo-qa-signing-pass"
CLINIC_PASSWORD = "demo-clinic-signing-pass"
TODAY = datetime.datetime.now(datetime.timezone.utc).date()  # the server's day
RUN = uuid.uuid4().hex[:4].upper()
steps = 0


def client(role):
    return AuthenticatedClient(base_url=BASE, token=os.environ[f"CRYOLEDGER_TOKEN_{role.upper()}"], raise_on_unexpected_status=True,
                               timeout=__import__("httpx").Timeout(60.0))


def call(step, endpoint, *args, expect=(200, 201), **kwargs):
    """One step: the generated endpoint's sync_detailed, its status checked, its parsed model returned."""
    global steps
    r = endpoint.sync_detailed(*args, **kwargs)
    if r.status_code not in expect:
        print(f"FAIL {step}: HTTP {int(r.status_code)}: {r.content[:500]!r}")
        sys.exit(1)
    steps += 1
    print(f"ok {steps:2d} {step}")
    return r.parsed


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)


mfg, qc, qa, clinical, pharmacy, auditor = (client(r) for r in ("manufacturing", "qc", "qa", "clinical", "pharmacy", "auditor"))
anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)

check(call("health", health, client=anonymous).status == "alive", "alive")
check(call("ready", ready, client=anonymous).status == "ready", "ready")

# Donor, lot, vials.
donor_code = f"DN-9{int(RUN, 16) % 100000:05d}"
donor = call("registerDonor", register_donor, client=mfg, body=DonorInput(
    code=donor_code, eligibility=DonorInputEligibility.ELIGIBLE,
    hla=["A*66:01", "A*68:02", "B*58:01", "B*42:01", "C*17:01", "C*06:02", "DRB1*03:02", "DRB1*11:02", "DQB1*04:02", "DQB1*03:19"],
    screening_tests=[ScreeningTest(test=t, result=ScreeningTestResult.NON_REACTIVE, tested_on=TODAY - datetime.timedelta(days=30))
                     for t in ("HIV-1/2 NAT", "HBV NAT", "HCV NAT", "HTLV-I/II", "Syphilis")]))
check(donor.code == donor_code, "donor registered")
lot_number = f"A329-C{RUN}"
lot = call("registerLot", register_lot, client=mfg, body=LotInput(
    lot_number=lot_number, product_code="ALLO-329", donor_code=donor_code, manufactured_on=TODAY, cells_per_vial=50_000_000, vial_count=4))
check(lot.status == LotStatus.IN_PROCESS, "lot in process")
rack, box = f"SSF-LN2-01-RC{RUN}", f"SSF-LN2-01-RC{RUN}-B1"
call("createRack", create_rack, client=mfg, body=RackInput(id=rack, freezer_id="SSF-LN2-01", label=f"RC{RUN}"))
call("createBox", create_box, client=mfg, body=BoxInput(id=box, rack_id=rack, label="B1", rows=9, columns=9))
vials = call("createVials", create_vials, lot_number, client=mfg, body=VialBatchInput(count=4, box_id=box))
check(len(vials) == 4 and all(v.location.box_id == box for v in vials), "vials placed")
call("changeLotStatus quarantine", change_lot_status, lot_number, client=mfg,
     body=LotStatusChange(status=LotStatus.QUARANTINE, reason="manufacturing run complete; cryopreserved"))

# QC against the product's specification, then QA release (an electronic signature).
product = call("getProduct", get_product, "ALLO-329", client=qc)
passing = {"viability": (88.5, None), "car-positive": (41.2, None), "sterility": (None, "no growth"), "mycoplasma": (None, "not detected"),
           "endotoxin": (0.8, None), "vcn": (2.1, None), "residual-tcr": (0.3, None), "identity": (None, "conforms"), "potency": (1850, None)}
for test in product.specification:
    number, text = passing[test.code]
    result = call(f"recordQcResult {test.code}", record_qc_result, lot_number, client=qc, body=QcResultInput(
        test_code=test.code, numeric_value=number, text_value=text, method="demo method", analyst="Quinn Tester"))
    check(result.outcome.value == "pass", f"{test.code} passes")
lot = call("releaseLot", release_lot, lot_number, client=qa, body=ReleaseInput(
    kind=ReleaseInputKind.STANDARD, reason="all release tests within specification",
    signature=SignatureInput(password=QA_PASSWORD, meaning="approved for release")))
check(lot.status == LotStatus.RELEASED, "released")
coa = call("getCertificateOfAnalysis", get_certificate_of_analysis, lot_number, client=auditor)
check(coa.disposition.signature.printed_name == "Avery Releaser", "certificate signature")

# Enrolment: every criterion of the study that applies to SLE, satisfied; antibodies against every demo donor's A locus.
study = call("getStudy", get_study, "RESOLUTION", client=clinical)
criteria = [c.code for c in study.criteria if c.indication in (None, UNSET, "SLE")]
subject = f"RES-SLE-C{RUN}"
patient = call("enrollPatient", enroll_patient, client=clinical, body=EnrolmentInput(
    subject_id=subject, study_code="RESOLUTION", site_code="UCLA", cohort_id="RESOLUTION/SLE/DL1/no-LD", weight_kg=64.5,
    infusion_on=TODAY + datetime.timedelta(days=10), anti_hla=["A*02", "A*23", "A*01"],
    eligibility=[EligibilityAnswer(criterion=c, satisfied=True) for c in criteria]))
check(patient.subject_id == subject and patient.status.value == "enrolled", "enrolled")

# Plan (the instance is FORMAT.md's, typed), commit, pick, ship, receive, thaw, administer (signed).
plan = call("planAllocation", plan_allocation, client=pharmacy, body=PlanInput(patients=[subject]))
check(len(plan.assignments) == 1 and plan.assignments[0].lot == lot_number, f"the plan takes the new lot: {plan.to_dict()}")
instance = call("getPlanInstance", get_plan_instance, plan.id, client=pharmacy)
check(instance.format_.value == "cryoledger.allocation/v1" and instance.demands[0].id == subject, "typed instance")
allocations = call("commitAllocation", commit_allocation, plan.id, client=pharmacy, body=CommitInput(patients=[subject]))
allocation = allocations[0]
vial_ids = allocation.vial_ids
call("getPickList", get_pick_list, allocation.allocation_id, client=pharmacy)
# Rule 9: every hand-off carries the scanned ids of what is handed over.
call("pickAllocation", pick_allocation, allocation.allocation_id, client=pharmacy, body=PickInput(scanned_vial_ids=vial_ids))
shipment = call("shipVials", ship_vials, client=pharmacy, body=ShipmentInput(
    vial_ids=vial_ids, to_site="UCLA", dry_shipper_id="DS-0042", data_logger_id="TL-7781", validated_hold_hours=240,
    scanned_vial_ids=vial_ids, scanned_dry_shipper_id="DS-0042"))
received = call("receiveShipment", receive_shipment, shipment.id, client=pharmacy,
                body=ReceiptInput(logger_max_celsius=-171.5, scanned_vial_ids=vial_ids))
check(received.receipt_excursion is False, "no excursion")
# Rule 8: the patient is not ready (the infusion is planned ten days ahead), so the thaw is refused (409) until the
# clinician moves the infusion to today and signs the clearance (this arm has no lymphodepletion).
readiness = call("getInfusionReadiness", get_infusion_readiness, subject, client=clinical)
check(not readiness.ready and readiness.planned_doses == [], f"not ready yet: {readiness.to_dict()}")
call("thawVial (not ready: refused)", thaw_vial, vial_ids[0], client=pharmacy, expect=(409,),
     body=ThawInput(scanned_vial_id=vial_ids[0], scanned_subject_id=subject))
call("rescheduleInfusion", reschedule_infusion, subject, client=clinical,
     body=RescheduleInput(infusion_on=TODAY, reason="vials received at the site; patient admitted today"))
readiness = call("clearForInfusion", clear_for_infusion, subject, client=clinical, body=ClearanceInput(
    items=readiness.clearance_items, signature=SignatureInput(password=CLINIC_PASSWORD, meaning="patient cleared for infusion")))
check(readiness.ready, f"ready today: {readiness.to_dict()}")
for vial in vial_ids:
    call(f"thawVial {vial}", thaw_vial, vial, client=pharmacy, body=ThawInput(scanned_vial_id=vial, scanned_subject_id=subject))
    done = call(f"administerVial {vial}", administer_vial, vial, client=pharmacy, body=AdministrationInput(
        subject_id=subject, signature=SignatureInput(password=CLINIC_PASSWORD, meaning="administered after bedside identity check")))
    check(done.status.value == "administered", "administered")
check(call("getPatient", get_patient, subject, client=clinical).status.value == "dosed", "dosed")
check(call("getVial", get_vial, vial_ids[0], client=auditor).status.value == "administered", "vial administered")
check(call("getLot", get_lot, lot_number, client=auditor).vials_by_status.additional_properties.get("administered") == len(vial_ids), "lot counts")
check(call("getDonor", get_donor, donor_code, client=auditor).lots == [lot_number], "donor's lots")

# Custody: the vial's history carries the administration's signature manifestation.
history = call("listCustodyEvents vial", list_custody_events, ListCustodyEventsSubjectType.VIAL, vial_ids[0], client=auditor)
signed = [e for e in history if e.action == "vial.administered"]
check(len(signed) == 1 and signed[0].signature and signed[0].signature.printed_name == "Parker Pharmacist"
      and signed[0].signature.meaning == "administered after bedside identity check", "administration signature in /custody")
call("listCustodyEvents patient", list_custody_events, ListCustodyEventsSubjectType.PATIENT, subject, client=auditor)

# Every export format, for the patient's scope.
csv_text = call("exportCustodyCSV", export_custody_csv, client=auditor, patient=subject)
check(isinstance(csv_text, str), "CSV export read as text")
check(csv_text.startswith("id,subject_type,subject_id,seq,") and "vial.administered" in csv_text, "CSV export")
ndjson_text = call("exportCustodyNDJSON", export_custody_ndjson, client=auditor, patient=subject)
lines = [json.loads(line) for line in ndjson_text.splitlines()]
check(lines[0]["format"] == "cryoledger.custody-export/v1+ndjson" and len(lines) > 1, "NDJSON header")
check(all(isinstance(e["details"], dict) and e.get("reason") != "" for e in lines[1:]), "NDJSON events: details objects, no empty strings")
document = call("exportCustodyJSON", export_custody_json, client=auditor, patient=subject)
check(isinstance(document, CustodyExport), f"JSON export, typed: {type(document)}")
# The chain only grows between the two exports: every event of the NDJSON export is in the later JSON export.
check({e["id"] for e in lines[1:]} <= {e.id for e in document.events}, "JSON export holds every NDJSON event")
check(any(e.signature and e.signature.printed_name == "Parker Pharmacist" for e in document.events), "JSON export carries the signature")
pdf = call("exportCustodyPDF", export_custody_pdf, client=auditor, lot=lot_number)
check(pdf.payload.read(4) == b"%PDF", "PDF export")
report = call("verifyAuditTrail", verify_audit_trail, client=auditor)
check(report.intact, f"audit trail intact: {report.to_dict()}")

# Import: a donor file as multipart/form-data (the file part) and one as a raw text/csv body.
hla = "A*02:01 A*24:02 B*07:02"
multipart_csv = f"code,eligibility,hla\nDN-8{int(RUN, 16) % 100000:05d},pending,{hla}\n".encode()
summary = call("importBatch multipart", import_batch, client=mfg, kind=ImportBatchKind.DONORS,
               body=ImportBatchFilesBody(file=File(payload=io.BytesIO(multipart_csv), file_name="donors.csv", mime_type="text/csv")))
check(summary.inserted == 1 and summary.rejected == 0, f"multipart import: {summary.to_dict()}")
raw_csv = f"code,eligibility,hla\nDN-7{int(RUN, 16) % 100000:05d},pending,{hla}\nDN-BAD,pending,{hla}\n".encode()
summary = call("importBatch text/csv", import_batch, client=mfg, kind=ImportBatchKind.DONORS,
               body=File(payload=io.BytesIO(raw_csv), file_name="donors.csv", mime_type="text/csv"))
check(summary.inserted == 1 and summary.rejected == 1 and summary.rejects[0].field == "code", f"raw CSV import: {summary.to_dict()}")

print(f"journey: {steps} steps through the generated client, all as documented")
