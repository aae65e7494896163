#!/usr/bin/python3
"""Validates Kubernetes objects against the official Python client's typed models.

Reads JSON from standard input: one object, or a v1 List of them. For each
object it
  1. deserializes it with ApiClient().deserialize into its V1 model (V1Deployment,
     ...), which rejects a missing required field and some wrong values;
  2. walks the JSON against the model's openapi_types and attribute_map,
     rejecting unknown fields and wrong types (deserialize alone ignores
     unknown fields and converts many types);
  3. checks the names the API server checks and the client does not:
     object, container, port and volume names, label keys and values, and
     that every volumeMount names a volume of the pod.
Prints one line per problem ("Kind/name: path: problem") and exits 1 when
there is any, 2 when the kubernetes module is missing.
"""
import json
import re
import sys

try:
    from kubernetes import client
    from kubernetes.client import ApiClient
except ImportError as error:  # pragma: no cover
    print(f"validate.py: the kubernetes module is missing ({error}); install python3-kubernetes", file=sys.stderr)
    sys.exit(2)

MODELS = {
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("batch/v1", "Job"): "V1Job",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Response:
    """What ApiClient.deserialize reads: an object with the body in .data."""

    def __init__(self, data):
        self.data = data


def walk(value, type_name, path, errors):
    """Checks value against the client's type name (V1Container, list[str], dict(str, str), int...)."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list ({type_name}), got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            walk(item, type_name[5:-1], f"{path}[{i}]", errors)
        return
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping ({type_name}), got {type(value).__name__}")
            return
        inner = re.match(r"dict\(([^,]*), (.*)\)$", type_name).group(2)
        for key, item in value.items():
            walk(item, inner, f"{path}.{key}", errors)
        return
    primitive = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "datetime": lambda v: isinstance(v, str),
        "date": lambda v: isinstance(v, str),
        # IntOrString and free-form fields.
        "object": lambda v: isinstance(v, (str, int, dict)) and not isinstance(v, bool),
    }
    if type_name in primitive:
        if not primitive[type_name](value):
            errors.append(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")
        return
    model = getattr(client.models, type_name, None)
    if model is None:
        errors.append(f"{path}: the client has no type {type_name}")
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a mapping ({type_name}), got {type(value).__name__}")
        return
    fields = {json_name: attribute for attribute, json_name in model.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: unknown field of {type_name}")
        else:
            walk(item, model.openapi_types[fields[key]], f"{path}.{key}", errors)


def check_labels(labels, path, errors):
    for key, value in (labels or {}).items():
        prefix, _, name = key.rpartition("/")
        if len(name) > 63 or not LABEL_NAME.match(name):
            errors.append(f"{path}: label key {key!r} is not a qualified name")
        if prefix and (len(prefix) > 253 or not all(DNS_LABEL.match(part) for part in prefix.split("."))):
            errors.append(f"{path}: label key prefix {prefix!r} is not a DNS subdomain")
        if not isinstance(value, str) or (value and (len(value) > 63 or not LABEL_NAME.match(value))):
            errors.append(f"{path}: label value {value!r} is not a label value")


def check_pod(spec, path, claim_templates, errors):
    volumes = {v.get("name") for v in spec.get("volumes", [])} | claim_templates
    for name in volumes:
        if not name or len(name) > 63 or not DNS_LABEL.match(name):
            errors.append(f"{path}.volumes: name {name!r} is not a DNS label")
    seen = set()
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group, [])):
            where = f"{path}.{group}[{i}]"
            name = container.get("name", "")
            if len(name) > 63 or not DNS_LABEL.match(name):
                errors.append(f"{where}.name: {name!r} is not a DNS label")
            if name in seen:
                errors.append(f"{where}.name: {name!r} is used twice in the pod")
            seen.add(name)
            for mount in container.get("volumeMounts", []):
                if mount.get("name") not in volumes:
                    errors.append(f"{where}.volumeMounts: {mount.get('name')!r} names no volume of the pod")


def check_names(obj, errors):
    kind = obj.get("kind")
    metadata = obj.get("metadata", {})
    name = metadata.get("name", "")
    pattern = DNS_1035 if kind == "Service" else DNS_LABEL
    if len(name) > 63 or not pattern.match(name):
        errors.append(f"metadata.name: {name!r} is not a valid {kind} name")
    check_labels(metadata.get("labels"), "metadata.labels", errors)
    check_labels(metadata.get("annotations") and {k: "" for k in metadata["annotations"]}, "metadata.annotations", errors)
    spec = obj.get("spec", {})
    if kind == "Service":
        for i, port in enumerate(spec.get("ports", [])):
            port_name = port.get("name", "")
            if port_name and (len(port_name) > 15 or not IANA_SVC_NAME.match(port_name)):
                errors.append(f"spec.ports[{i}].name: {port_name!r} is not a port name")
        if len(spec.get("ports", [])) > 1 and not all(p.get("name") for p in spec["ports"]):
            errors.append("spec.ports: several ports need a name each")
    if kind in ("Deployment", "StatefulSet", "Job"):
        template = spec.get("template", {})
        check_labels(template.get("metadata", {}).get("labels"), "spec.template.metadata.labels", errors)
        claims = {t.get("metadata", {}).get("name") for t in spec.get("volumeClaimTemplates", [])}
        check_pod(template.get("spec", {}), "spec.template.spec", claims, errors)
        selector = spec.get("selector", {}).get("matchLabels", {})
        labels = template.get("metadata", {}).get("labels", {})
        for key, value in selector.items():
            if labels.get(key) != value:
                errors.append(f"spec.selector: {key}={value} does not select the template's labels")


def validate(obj):
    errors = []
    key = (obj.get("apiVersion"), obj.get("kind"))
    model = MODELS.get(key)
    if model is None:
        return [f"no model for apiVersion {key[0]!r} kind {key[1]!r}"]
    try:
        ApiClient().deserialize(Response(json.dumps(obj)), model)
    except (ValueError, TypeError) as error:
        errors.append(f"deserialize as {model}: {error}")
    walk(obj, model, "", errors)
    check_names(obj, errors)
    return errors


def main():
    document = json.load(sys.stdin)
    objects = document["items"] if document.get("kind") == "List" else [document]
    problems = 0
    for obj in objects:
        name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        for error in validate(obj):
            print(f"{name}: {error.lstrip('.')}")
            problems += 1
    print(f"validated {len(objects)} objects, {problems} problems", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
