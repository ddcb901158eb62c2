"""Checks of the OpenAPI document that generators do not make (issue 13, items 15 and 16).

1. No schema object carries a keyword that JSON Schema 2020-12 / OpenAPI 3.1 does not define. YAML flow mappings
   (`{type: boolean, description: A, b.}`) cut an unquoted description at a comma or colon, and the rest of the text
   silently becomes a stray key; this finds such keys.
2. Every tag an operation uses is declared under `tags`.
3. Every object schema a request body reaches (through $ref, properties, items, allOf/anyOf/oneOf) is closed:
   `additionalProperties: false`, so unknown fields are refused rather than ignored.

    python lint_spec.py openapi.yaml
Prints each problem and exits 1 when there is any.
"""
import sys

import yaml

SCHEMA_KEYWORDS = {
    # JSON Schema 2020-12: core, applicator, validation, metadata, format, content, unevaluated.
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$defs", "$comment", "$vocabulary",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items", "contains",
    "properties", "patternProperties", "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties",
    "minProperties", "required", "dependentRequired", "title", "description", "default", "deprecated", "readOnly",
    "writeOnly", "examples", "format", "contentEncoding", "contentMediaType", "contentSchema",
    # OpenAPI 3.1 additions to the schema object.
    "discriminator", "xml", "externalDocs", "example",
}
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_SINGLE = ("items", "not", "if", "then", "else", "contains", "additionalProperties", "propertyNames",
                    "unevaluatedItems", "unevaluatedProperties", "contentSchema")

problems = []


def walk_schema(schema, where):
    if not isinstance(schema, dict):
        if not isinstance(schema, bool):
            problems.append(f"{where}: a schema must be an object or a boolean, found {schema!r}")
        return
    for key in schema:
        if key not in SCHEMA_KEYWORDS and not str(key).startswith("x-"):
            problems.append(f"{where}: unknown keyword {key!r} (an unquoted description cut by YAML?)")
    for key in SUBSCHEMA_MAPS:
        for name, sub in (schema.get(key) or {}).items():
            walk_schema(sub, f"{where}/{key}/{name}")
    for key in SUBSCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key) or []):
            walk_schema(sub, f"{where}/{key}[{i}]")
    for key in SUBSCHEMA_SINGLE:
        if key in schema:
            walk_schema(schema[key], f"{where}/{key}")


def resolve(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def check_closed(doc, schema, where, seen):
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        check_closed(doc, resolve(doc, schema["$ref"]), schema["$ref"], seen)
        return
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "object" in types or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            problems.append(f"{where}: a request object schema without additionalProperties: false (unknown fields would be ignored)")
        for name, sub in (schema.get("properties") or {}).items():
            check_closed(doc, sub, f"{where}/properties/{name}", seen)
    if "items" in schema:
        check_closed(doc, schema["items"], f"{where}/items", seen)
    for key in SUBSCHEMA_LISTS:
        for i, sub in enumerate(schema.get(key) or []):
            check_closed(doc, sub, f"{where}/{key}[{i}]", seen)


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for name, schema in (doc.get("components", {}).get("schemas") or {}).items():
        walk_schema(schema, f"#/components/schemas/{name}")
    for name, parameter in (doc.get("components", {}).get("parameters") or {}).items():
        if "schema" in parameter:
            walk_schema(parameter["schema"], f"#/components/parameters/{name}/schema")
    declared = {t["name"] for t in doc.get("tags") or []}
    methods = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
    for path_name, item in (doc.get("paths") or {}).items():
        for method in methods:
            op = item.get(method)
            if not op:
                continue
            where = f"{method.upper()} {path_name}"
            for tag in op.get("tags") or []:
                if tag not in declared:
                    problems.append(f"{where}: tag {tag!r} is not declared under tags")
            for i, parameter in enumerate(op.get("parameters") or []):
                if "schema" in parameter:
                    walk_schema(parameter["schema"], f"{where} parameter {parameter.get('name', i)}")
            body = op.get("requestBody") or {}
            for media, content in (body.get("content") or {}).items():
                if "schema" not in content:
                    continue
                walk_schema(content["schema"], f"{where} requestBody {media}")
                if media == "application/json" or media.endswith("+json") or media.startswith("multipart/"):
                    check_closed(doc, content["schema"], f"{where} requestBody {media}", set())
            for status, response in (op.get("responses") or {}).items():
                for media, content in (response.get("content") or {}).items():
                    if "schema" in content:
                        walk_schema(content["schema"], f"{where} response {status} {media}")
    for problem in problems:
        print(problem)
    print(f"lint: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
