// The types and server stubs of this module are generated at build time from openapi.yaml
// (a link to Sources/CryoAPI/openapi.yaml) by swift-openapi-generator; see openapi-generator-config.yaml.
