"""FHIR R5 read API: every resource validates with fhir.resources 8.x (R5 models), every code is in its R5 value set."""
from fhir.resources.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.biologicallyderivedproductdispense import BiologicallyDerivedProductDispense
from fhir.resources.bundle import Bundle
from fhir.resources.operationoutcome import OperationOutcome

from conftest import call
import value_sets as vs

FHIR_JSON = "application/fhir+json"


def get(path, token):
    r = call("GET", path, token, headers={"Accept": FHIR_JSON})
    assert r.headers["Content-Type"].startswith(FHIR_JSON), (r.status_code, r.headers.get("Content-Type"), r.text[:300])
    return r


def in_value_set(coding, value_set):
    system, codes = value_set
    assert coding["system"] == system, coding
    assert coding["code"] in codes, coding


def check_product(resource):
    BiologicallyDerivedProduct.model_validate(resource)
    in_value_set(resource["productCategory"], vs.PRODUCT_CATEGORY)
    assert resource["productCategory"]["code"] == "cells"
    in_value_set(resource["productStatus"], vs.PRODUCT_STATUS)
    assert resource["identifier"][0]["value"] == resource["id"]
    assert resource["biologicalSourceEvent"]["value"].startswith("DN-")   # the coded donor, never a name


def check_dispense(resource):
    BiologicallyDerivedProductDispense.model_validate(resource)
    assert resource["status"] in vs.DISPENSE_STATUS[1], resource["status"]
    for coding in resource["matchStatus"]["coding"]:
        in_value_set(coding, vs.MATCH_STATUS)
    assert resource["product"]["reference"].startswith("BiologicallyDerivedProduct/")
    assert "display" not in resource["patient"]   # no names exist to leak: a coded subject id only


def check_bundle(bundle, check):
    Bundle.model_validate(bundle)
    assert bundle["type"] in vs.BUNDLE_TYPE and bundle["type"] == "searchset"
    for entry in bundle.get("entry", []):
        assert entry["search"]["mode"] in vs.SEARCH_ENTRY_MODE
        check(entry["resource"])
    return [e["resource"] for e in bundle.get("entry", [])]


def check_outcome(r, status, issue_code):
    assert r.status_code == status, r.text
    outcome = r.json()
    OperationOutcome.model_validate(outcome)
    for issue in outcome["issue"]:
        assert issue["severity"] in vs.ISSUE_SEVERITY and issue["code"] in vs.ISSUE_TYPE
    assert outcome["issue"][0]["code"] == issue_code


def test_product_read_and_search(tok, dispensed):
    t = tok["auditor"]
    stored = check_bundle(get("/fhir/BiologicallyDerivedProduct?product-status=available&_count=20", t).json(), check_product)
    assert stored and all(p["productStatus"]["code"] == "available" for p in stored)
    vial = stored[0]["id"]
    one = get(f"/fhir/BiologicallyDerivedProduct/{vial}", t)
    assert one.status_code == 200
    check_product(one.json())
    by_id = check_bundle(get(f"/fhir/BiologicallyDerivedProduct?identifier={vial}", t).json(), check_product)
    assert [p["id"] for p in by_id] == [vial]
    lot = next(p["valueString"] for p in one.json()["property"] if p["type"]["coding"][0]["code"] == "lot-number")
    by_lot = check_bundle(get(f"/fhir/BiologicallyDerivedProduct?lot={lot}", t).json(), check_product)
    assert vial in [p["id"] for p in by_lot]


def test_product_status_mapping(tok, dispensed):
    t = tok["auditor"]
    # A shipped (allocated) vial is unavailable; so is a thawed one.
    shipped = dispensed["ALPHA-001"]["vialIds"][0]
    thawed = dispensed["ALPHA-002"]["vialIds"][0]
    for vial in (shipped, thawed):
        p = get(f"/fhir/BiologicallyDerivedProduct/{vial}", t).json()
        check_product(p)
        assert p["productStatus"]["code"] == "unavailable"
    unavailable = check_bundle(get("/fhir/BiologicallyDerivedProduct?product-status=unavailable&_count=500", t).json(), check_product)
    assert {shipped, thawed} <= {p["id"] for p in unavailable}


def test_dispense_read_search_and_status_mapping(tok, dispensed):
    t = tok["pharmacy"]
    first = check_bundle(get("/fhir/BiologicallyDerivedProductDispense?patient=ALPHA-001", t).json(), check_dispense)
    second = check_bundle(get("/fhir/BiologicallyDerivedProductDispense?patient=Patient/ALPHA-002", t).json(), check_dispense)
    assert first and second
    assert {d["status"] for d in first} == {"in-progress"}          # shipped, not yet received
    statuses = {d["product"]["reference"].split("/")[1]: d["status"] for d in second}
    assert statuses[dispensed["ALPHA-002"]["vialIds"][0]] == "issued"   # received and thawed at the site
    assert all(d["patient"]["identifier"]["value"] == "ALPHA-002" for d in second)
    one = get(f"/fhir/BiologicallyDerivedProductDispense/{second[0]['id']}", t)
    assert one.status_code == 200
    check_dispense(one.json())
    assert one.json() == second[0]


def test_errors_are_operation_outcomes(tok, dispensed):
    t = tok["auditor"]
    check_outcome(get("/fhir/BiologicallyDerivedProduct/CV0000000000X", t), 400, "invalid")
    check_outcome(get("/fhir/BiologicallyDerivedProductDispense/999999", t), 404, "not-found")
    check_outcome(get("/fhir/BiologicallyDerivedProduct?product-status=lost", t), 400, "invalid")
    check_outcome(get("/fhir/BiologicallyDerivedProduct", "not-a-token"), 401, "login")
    r = call("GET", "/fhir/BiologicallyDerivedProduct", t)
    assert r.status_code == 200
