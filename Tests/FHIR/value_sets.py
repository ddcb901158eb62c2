"""The R5 (5.0.0) value sets the FHIR tests hold every produced code to, written out from the specification:
fhir.resources checks structure and primitive types, not terminology bindings."""

# http://hl7.org/fhir/ValueSet/product-category (BiologicallyDerivedProduct.productCategory)
PRODUCT_CATEGORY = ("http://hl7.org/fhir/product-category", {"organ", "tissue", "fluid", "cells", "biologicalAgent"})

# http://hl7.org/fhir/ValueSet/biologicallyderived-product-status (BiologicallyDerivedProduct.productStatus)
PRODUCT_STATUS = ("http://hl7.org/fhir/biologicallyderived-product-status", {"available", "unavailable"})

# http://hl7.org/fhir/ValueSet/biologicallyderivedproductdispense-status (BiologicallyDerivedProductDispense.status, required)
DISPENSE_STATUS = ("http://hl7.org/fhir/biologicallyderivedproductdispense-status",
                   {"preparation", "in-progress", "allocated", "issued", "unfulfilled", "returned", "entered-in-error", "unknown"})

# http://hl7.org/fhir/ValueSet/biologicallyderivedproductdispense-match-status (BiologicallyDerivedProductDispense.matchStatus)
MATCH_STATUS = ("http://hl7.org/fhir/CodeSystem/biologicallyderivedproductdispense-match-status",
                {"crossmatched", "selected", "unmatched", "least-incompatible"})

# http://hl7.org/fhir/ValueSet/issue-severity and issue-type (OperationOutcome.issue, both required)
ISSUE_SEVERITY = {"fatal", "error", "warning", "information", "success"}
ISSUE_TYPE = {"invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired", "forbidden",
              "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found", "deleted", "too-long",
              "code-invalid", "extension", "too-costly", "business-rule", "conflict", "limited-filter", "transient", "lock-error",
              "no-store", "exception", "timeout", "incomplete", "throttled", "informational", "success"}

# http://hl7.org/fhir/ValueSet/bundle-type (Bundle.type, required) and search-entry-mode
BUNDLE_TYPE = {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset",
               "collection", "subscription-notification"}
SEARCH_ENTRY_MODE = {"match", "include", "outcome"}
