"""FHIR R5 read API: every resource validates with fhir.resources 8.x (R5 models), every code is in its R5 value set."""
from fhir.resources.biologicallyderivedproduct import BiologicallyDerivedProduct
from fhir.resources.biologicallyderivedproductdispense import BiologicallyDerivedProductDispense
from fhir.resources.bundle import Bundle
from fhir.resources.operationoutcome import OperationOutcome

from conftest import call, make_ready
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
    # The identifier carries the vial id as printed; the resource id spells a '*' check character '-' (FHIR ids have no '*').
    assert resource["identifier"][0]["value"].replace("*", "-") == resource["id"]
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


def test_product_read_and_search(tok):
    t = tok["auditor"]
    stored = check_bundle(get("/fhir/BiologicallyDerivedProduct?product-status=available&_count=20", t).json(), check_product)
    assert stored and all(p["productStatus"]["code"] == "available" for p in stored)
    vial = stored[0]["id"]
    one = get(f"/fhir/BiologicallyDerivedProduct/{vial}", t)
    assert one.status_code == 200
    check_product(one.json())
    by_id = check_bundle(get(f"/fhir/BiologicallyDerivedProduct?identifier={one.json()['identifier'][0]['value']}", t).json(), check_product)
    assert [p["id"] for p in by_id] == [vial]
    # Every vial, including those whose check character is '*': each is a valid resource, readable by its id.
    everything = check_bundle(get("/fhir/BiologicallyDerivedProduct?_count=500", t).json(), check_product)
    starred = [p for p in everything if p["identifier"][0]["value"].endswith("*")]
    for p in starred[:3]:
        assert get(f"/fhir/BiologicallyDerivedProduct/{p['id']}", t).json() == p
    lot = next(p["valueString"] for p in one.json()["property"] if p["type"]["coding"][0]["code"] == "lot-number")
    by_lot = check_bundle(get(f"/fhir/BiologicallyDerivedProduct?lot={lot}", t).json(), check_product)
    assert vial in [p["id"] for p in by_lot]


def test_product_status_mapping(tok, allocated):
    t = tok["auditor"]
    reserved = next(iter(allocated.values()))["vialIds"][0].replace("*", "-")
    p = get(f"/fhir/BiologicallyDerivedProduct/{reserved}", t).json()
    check_product(p)
    assert p["productStatus"]["code"] == "unavailable"
    unavailable = check_bundle(get("/fhir/BiologicallyDerivedProduct?product-status=unavailable&_count=500", t).json(), check_product)
    assert reserved in {p["id"] for p in unavailable}
    available = check_bundle(get("/fhir/BiologicallyDerivedProduct?status=available&_count=500", t).json(), check_product)
    assert reserved not in {p["id"] for p in available}


def dispenses_of(subject, token, prefix=""):
    return check_bundle(get(f"/fhir/BiologicallyDerivedProductDispense?patient={prefix}{subject}", token).json(), check_dispense)


def test_dispense_lifecycle_status_mapping(tok, allocated):
    """allocated (reserved, then picked) -> in-progress (shipped) -> issued (received, thawed); each read validated."""
    t = tok["pharmacy"]
    subject, a = next(iter(allocated.items()))
    vial = a["vialIds"][0]

    def status_of_vial(prefix=""):
        found = {d["product"]["reference"].split("/")[1]: d for d in dispenses_of(subject, t, prefix)}
        assert all(d["patient"]["identifier"]["value"] == subject for d in found.values())
        return found[vial.replace("*", "-")]

    assert status_of_vial()["status"] == "allocated"
    assert call("POST", f"/allocations/{a['allocationId']}/pick", t, json={"scannedVialIds": a["vialIds"]}).status_code == 200
    assert status_of_vial("Patient/")["status"] == "allocated"
    site = call("GET", f"/patients/{subject}", t).json()["siteCode"]
    r = call("POST", "/shipments", t, json={"vialIds": a["vialIds"], "toSite": site, "dryShipperId": "DS-1", "dataLoggerId": "LOG-1",
                                             "validatedHoldHours": 240, "scannedVialIds": a["vialIds"], "scannedDryShipperId": "DS-1"})
    assert r.status_code in (200, 201), r.text
    assert status_of_vial()["status"] == "in-progress"
    assert call("POST", f"/shipments/{r.json()['id']}/receive", t, json={"loggerMaxCelsius": -170, "scannedVialIds": a["vialIds"]}).status_code == 200
    received = status_of_vial()
    assert received["status"] == "issued" and "whenHandedOver" in received
    make_ready(subject, tok["clinical"])
    r = call("POST", f"/vials/{vial}/thaw", t, json={"scannedVialId": vial, "scannedSubjectId": subject})
    assert r.status_code == 200, r.text
    thawed = status_of_vial()
    assert thawed["status"] == "issued" and "preparedDate" in thawed
    one = get(f"/fhir/BiologicallyDerivedProductDispense/{thawed['id']}", t)
    assert one.status_code == 200
    check_dispense(one.json())
    assert one.json() == thawed
    product = get(f"/fhir/{thawed['product']['reference']}", t).json()
    check_product(product)
    assert product["productStatus"]["code"] == "unavailable"
    assert dispenses_of("NOBODY-1", t) == []


def test_errors_are_operation_outcomes(tok):
    t = tok["auditor"]
    check_outcome(get("/fhir/BiologicallyDerivedProduct/CV0000000000X", t), 400, "invalid")
    check_outcome(get("/fhir/BiologicallyDerivedProductDispense/999999", t), 404, "not-found")
    check_outcome(get("/fhir/BiologicallyDerivedProduct?product-status=lost", t), 400, "invalid")
    check_outcome(get("/fhir/BiologicallyDerivedProduct", "not-a-token"), 401, "login")
    r = call("GET", "/fhir/BiologicallyDerivedProduct", t)
    assert r.status_code == 200
