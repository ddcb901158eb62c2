"""CloudNativePG custom resources (postgresql.cnpg.io/v1, CloudNativePG 1.25+): kubernetes-validate
ships no schema for them, so a hand-written subset of the CRDs: the required fields, the types and
enums of what these manifests use, and no unknown fields where the field set is listed in full."""
from __future__ import annotations

import jsonschema

from .common import Findings

REF = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
KEYREF = {"type": "object", "required": ["name", "key"], "additionalProperties": False,
          "properties": {"name": {"type": "string", "minLength": 1}, "key": {"type": "string", "minLength": 1}}}
QUANTITY = {"type": ["string", "integer"]}
RESOURCES = {"type": "object", "additionalProperties": False, "properties": {
    "requests": {"type": "object", "additionalProperties": QUANTITY},
    "limits": {"type": "object", "additionalProperties": QUANTITY},
    "claims": {"type": "array"}}}
STORAGE = {"type": "object", "additionalProperties": False, "properties": {
    "size": {"type": "string"}, "storageClass": {"type": "string"},
    "resizeInUseVolumes": {"type": "boolean"}, "pvcTemplate": {"type": "object"}}}
COMPRESSION = {"enum": ["bzip2", "gzip", "lz4", "snappy", "xz", "zstd"]}
METADATA = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 50},
    "namespace": {"type": "string"}, "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    "annotations": {"type": "object", "additionalProperties": {"type": "string"}}}}

CLUSTER_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"}, "kind": {"const": "Cluster"}, "metadata": METADATA,
        "spec": {
            "type": "object", "required": ["instances"], "additionalProperties": False,
            "properties": {
                "description": {"type": "string"}, "inheritedMetadata": {"type": "object"},
                "imageName": {"type": "string", "pattern": "^[^:@]+(:[0-9]+[^@]*)?(@sha256:[0-9a-f]{64})?$"},
                "imageCatalogRef": {"type": "object"},
                "imagePullPolicy": {"enum": ["Always", "Never", "IfNotPresent"]},
                "schedulerName": {"type": "string"}, "postgresUID": {"type": "integer"}, "postgresGID": {"type": "integer"},
                "instances": {"type": "integer", "minimum": 1},
                "minSyncReplicas": {"type": "integer", "minimum": 0}, "maxSyncReplicas": {"type": "integer", "minimum": 0},
                "postgresql": {"type": "object", "additionalProperties": False, "properties": {
                    "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                    "synchronous": {"type": "object", "required": ["method", "number"], "additionalProperties": False,
                                    "properties": {"method": {"enum": ["any", "first"]},
                                                   "number": {"type": "integer", "minimum": 1},
                                                   "maxStandbyNamesFromCluster": {"type": "integer", "minimum": 0},
                                                   "standbyNamesPre": {"type": "array", "items": {"type": "string"}},
                                                   "standbyNamesPost": {"type": "array", "items": {"type": "string"}},
                                                   "dataDurability": {"enum": ["required", "preferred"]},
                                                   "failoverQuorum": {"type": "boolean"}}},
                    "pg_hba": {"type": "array", "items": {"type": "string"}},
                    "pg_ident": {"type": "array", "items": {"type": "string"}},
                    "syncReplicaElectionConstraint": {"type": "object"},
                    "shared_preload_libraries": {"type": "array", "items": {"type": "string"}},
                    "ldap": {"type": "object"}, "promotionTimeout": {"type": "integer"},
                    "enableAlterSystem": {"type": "boolean"}, "extensions": {"type": "array"}}},
                "replicationSlots": {"type": "object"},
                "bootstrap": {"type": "object", "additionalProperties": False, "properties": {
                    "initdb": {"type": "object", "properties": {
                        "database": {"type": "string"}, "owner": {"type": "string"}, "secret": REF,
                        "dataChecksums": {"type": "boolean"}, "encoding": {"type": "string"},
                        "localeCollate": {"type": "string"}, "localeCType": {"type": "string"}}},
                    "recovery": {"type": "object"}, "pg_basebackup": {"type": "object"}}},
                "replica": {"type": "object"}, "superuserSecret": REF, "enableSuperuserAccess": {"type": "boolean"},
                "certificates": {"type": "object"}, "imagePullSecrets": {"type": "array", "items": REF},
                "storage": STORAGE, "walStorage": STORAGE, "serviceAccountTemplate": {"type": "object"},
                "ephemeralVolumeSource": {"type": "object"},
                "startDelay": {"type": "integer"}, "stopDelay": {"type": "integer"},
                "smartShutdownTimeout": {"type": "integer"}, "switchoverDelay": {"type": "integer"},
                "failoverDelay": {"type": "integer"}, "livenessProbeTimeout": {"type": "integer"},
                "affinity": {"type": "object", "additionalProperties": False, "properties": {
                    "enablePodAntiAffinity": {"type": "boolean"}, "topologyKey": {"type": "string"},
                    "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                    "nodeAffinity": {"type": "object"}, "tolerations": {"type": "array"},
                    "podAntiAffinityType": {"enum": ["preferred", "required"]},
                    "additionalPodAntiAffinity": {"type": "object"}, "additionalPodAffinity": {"type": "object"}}},
                "topologySpreadConstraints": {"type": "array"}, "resources": RESOURCES,
                "ephemeralVolumesSizeLimit": {"type": "object"}, "priorityClassName": {"type": "string"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "primaryUpdateMethod": {"enum": ["switchover", "restart"]},
                "backup": {"type": "object", "additionalProperties": False, "properties": {
                    "volumeSnapshot": {"type": "object"},
                    "retentionPolicy": {"type": "string", "pattern": "^[1-9][0-9]*[dwm]$"},
                    "target": {"enum": ["primary", "prefer-standby"]},
                    "barmanObjectStore": {
                        "type": "object", "required": ["destinationPath"], "additionalProperties": False,
                        "properties": {
                            "destinationPath": {"type": "string", "pattern": "^(s3|gs|https?)://"},
                            "endpointURL": {"type": "string"}, "endpointCA": KEYREF, "serverName": {"type": "string"},
                            "s3Credentials": {"type": "object", "additionalProperties": False, "properties": {
                                "accessKeyId": KEYREF, "secretAccessKey": KEYREF, "region": KEYREF,
                                "sessionToken": KEYREF, "inheritFromIAMRole": {"type": "boolean"}}},
                            "azureCredentials": {"type": "object"}, "googleCredentials": {"type": "object"},
                            "wal": {"type": "object", "additionalProperties": False, "properties": {
                                "compression": COMPRESSION, "encryption": {"enum": ["AES256", "aws:kms"]},
                                "maxParallel": {"type": "integer", "minimum": 1},
                                "archiveAdditionalCommandArgs": {"type": "array"}, "restoreAdditionalCommandArgs": {"type": "array"}}},
                            "data": {"type": "object", "additionalProperties": False, "properties": {
                                "compression": COMPRESSION, "encryption": {"enum": ["AES256", "aws:kms"]},
                                "immediateCheckpoint": {"type": "boolean"}, "jobs": {"type": "integer", "minimum": 1},
                                "additionalCommandArgs": {"type": "array"}}},
                            "tags": {"type": "object"}, "historyTags": {"type": "object"}}}}},
                "nodeMaintenanceWindow": {"type": "object"}, "monitoring": {"type": "object"},
                "externalClusters": {"type": "array"}, "logLevel": {"enum": ["error", "warning", "info", "debug", "trace"]},
                "projectedVolumeTemplate": {"type": "object"}, "env": {"type": "array"}, "envFrom": {"type": "array"},
                "managed": {"type": "object", "additionalProperties": False, "properties": {
                    "services": {"type": "object"},
                    "roles": {"type": "array", "items": {
                        "type": "object", "required": ["name"], "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1}, "comment": {"type": "string"},
                            "ensure": {"enum": ["present", "absent"]}, "passwordSecret": REF,
                            "connectionLimit": {"type": "integer"}, "validUntil": {"type": "string"},
                            "inRoles": {"type": "array", "items": {"type": "string"}},
                            "inherit": {"type": "boolean"}, "disablePassword": {"type": "boolean"},
                            "superuser": {"type": "boolean"}, "createdb": {"type": "boolean"},
                            "createrole": {"type": "boolean"}, "login": {"type": "boolean"},
                            "replication": {"type": "boolean"}, "bypassrls": {"type": "boolean"}}}}}},
                "seccompProfile": {"type": "object"}, "tablespaces": {"type": "array"},
                "enablePDB": {"type": "boolean"}, "plugins": {"type": "array"}, "probes": {"type": "object"},
            },
        },
    },
}

SCHEDULED_BACKUP_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "postgresql.cnpg.io/v1"}, "kind": {"const": "ScheduledBackup"}, "metadata": METADATA,
        "spec": {"type": "object", "required": ["cluster", "schedule"], "additionalProperties": False, "properties": {
            "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
            "cluster": {"type": "object", "required": ["name"], "additionalProperties": False,
                        "properties": {"name": {"type": "string", "minLength": 1}}},
            "immediate": {"type": "boolean"},
            "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
            "online": {"type": "boolean"}, "onlineConfiguration": {"type": "object"},
            "pluginConfiguration": {"type": "object", "required": ["name"]},
            # Six fields, seconds first (robfig/cron), or a @descriptor.
            "schedule": {"type": "string", "pattern": r"^(@\w+|(\S+\s+){5}\S+)$"},
            "suspend": {"type": "boolean"}, "target": {"enum": ["primary", "prefer-standby"]}}},
    },
}

SCHEMAS = {"Cluster": CLUSTER_SCHEMA, "ScheduledBackup": SCHEDULED_BACKUP_SCHEMA}


def check(named_objects) -> Findings:
    """named_objects: (where, objects) pairs, e.g. one per rendered overlay."""
    f = Findings()
    count = 0
    for where, objs in named_objects:
        for o in objs:
            if not str(o.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
                continue
            schema = SCHEMAS.get(o.get("kind"))
            if schema is None:
                f.add(where, f"no schema here for {o.get('kind')}")
                continue
            count += 1
            for e in sorted(jsonschema.Draft7Validator(schema).iter_errors(o), key=lambda e: [str(p) for p in e.path]):
                f.add(f"{where} {o['kind']}/{(o.get('metadata') or {}).get('name')}",
                      f"{'.'.join(str(p) for p in e.path) or '(root)'}: {e.message}")
    if count == 0:
        f.add("cnpg", "no CloudNativePG resources found")
    f.ok = f"{count} CloudNativePG resources match the CRD subset schema"
    return f
