#!/usr/bin/env python3
"""The checks of scripts/check-deploy.sh that need to read YAML: compose.yaml against the Compose
specification's JSON schema, the chart's rendered manifests beyond what kubernetes-validate sees
(the ServiceMonitor's shape, secret keys that exist, the grace period), and every HEARTH_* name
against docs/configuration.md. Prints one `PASS` or `FAIL` line per check."""

import argparse
import json
import os
import re
import sys
import warnings

import jsonschema
import yaml

# Settings of docs/configuration.md the chart deliberately does not set, and why.
NOT_IN_CHART = {
    "HEARTH_CONFIG": "the chart sets variables, not a TOML file",
    "HEARTH_POSTGRES_BIN_DIR": "the image has no PostgreSQL (external database only)",
    "HEARTH_DASHBOARD_DIR": "the image embeds the dashboard",
    "HEARTH_FILES_DIR": "files go to S3 (s3.enabled) or the pod's data volume",
    "HEARTH_FUNCTION_PRIVATE_NETWORK": "former name of HEARTH_OUTBOUND_PRIVATE_NETWORK",
}

results = []
# `hearth` subcommands the artefacts run, and where; and the flags they give them.
COMMANDS = {}
FLAGS = {}


def command(words, where):
    """Records a `hearth` command line (without the binary): its subcommand and its flags."""
    if not words:
        return
    COMMANDS.setdefault(words[0], set()).add(where)
    for word in words[1:]:
        if word.startswith("--"):
            FLAGS.setdefault((words[0], word.split("=")[0]), set()).add(where)


def check(ok, what, why=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + what + ("" if ok or not why else ": " + why))


def documented(path):
    """HEARTH_* names of the settings table, and those whose row says `(or _FILE)`."""
    names, with_file = set(), set()
    for line in open(path, encoding="utf-8"):
        if not line.startswith("| `--"):
            continue
        cells = line.split("|")
        env = cells[2] if len(cells) > 2 else ""
        for name in re.findall(r"HEARTH_[A-Z0-9_]+", env):
            names.add(name)
            if "_FILE" in env:
                with_file.add(name)
        # Former names mentioned in the meaning column still count as documented.
        for name in re.findall(r"`(HEARTH_[A-Z0-9_]+)`", cells[5] if len(cells) > 5 else ""):
            names.add(name)
    return names, with_file


def compose(schema_path, compose_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = json.load(open(schema_path, encoding="utf-8"))
        doc = yaml.safe_load(open(compose_path, encoding="utf-8"))
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors = [f"{e.json_path}: {e.message[:160]}" for e in validator.iter_errors(doc)]
    check(not errors, f"{compose_path} matches the Compose specification's schema", "; ".join(errors))
    # Files the services mount or run must exist (those made by compose/init.sh excepted).
    base = os.path.dirname(compose_path)
    missing = []
    for name, service in (doc.get("services") or {}).items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and "/secrets/" not in source and "/certs/" not in source:
                if not os.path.exists(os.path.join(base, source)):
                    missing.append(f"{name}: {source}")
        entry = service.get("entrypoint") or []
        if entry and entry[0].startswith("/compose/"):
            script = os.path.join(base, "compose", entry[0][len("/compose/"):])
            if not os.access(script, os.X_OK):
                missing.append(f"{name}: {script} (not executable)")
    check(not missing, f"{compose_path}: the files its services mount or run exist", ", ".join(missing))
    # The CA's private key stays on the host: no service mounts it, or a folder holding it.
    exposed = []
    for name, service in (doc.get("services") or {}).items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            path, key = os.path.normpath(os.path.join(base, source)), os.path.join(base, "compose", "certs", "ca.key")
            if source.startswith(".") and (path == key or key.startswith(path + os.sep)):
                exposed.append(f"{name}: {source}")
    check(not exposed, f"{compose_path}: no service mounts the CA's private key (compose/certs/ca.key)", ", ".join(exposed))
    # A tmpfs is RAM: each has a size.
    unsized = [f"{name}: {t}" for name, service in (doc.get("services") or {}).items() for t in (service.get("tmpfs") or []) if "size=" not in t]
    check(not unsized, f"{compose_path}: every tmpfs has a size", ", ".join(unsized))
    # The replica streams from a replication slot, so that it catches up after a long stop.
    replica = os.path.join(base, "compose", "postgres-replica.sh")
    if os.path.exists(replica):
        text = open(replica, encoding="utf-8").read()
        check(re.search(r"pg_basebackup .*-C -S \w+", text) is not None, f"{replica}: the replica is cloned with a replication slot (pg_basebackup -C -S)")
    names = set()
    for name, service in (doc.get("services") or {}).items():
        env = service.get("environment") or {}
        names |= {k for k in (env if isinstance(env, dict) else [e.split("=")[0] for e in env]) if k.startswith("HEARTH_")}
        if "hearth" in str((service.get("build") or {}).get("dockerfile", "")) or service.get("image", "").startswith("hearth"):
            command(service.get("command") or [], f"{compose_path} {name}")
            test = (service.get("healthcheck") or {}).get("test") or []
            if len(test) > 2 and test[1].endswith("/hearth"):
                command(test[2:], f"{compose_path} {name} healthcheck")
                check("--live" in test, f"{compose_path} {name}: the container health check asks /health (--live), not /ready")
    return names


def manifests(path, sm_schema):
    docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d]
    label = os.path.basename(path)
    names = set()
    secrets = {d["metadata"]["name"]: set((d.get("data") or {}).keys()) | set((d.get("stringData") or {}).keys()) for d in docs if d["kind"] == "Secret"}
    configmaps = [d for d in docs if d["kind"] == "ConfigMap"]
    for cm in configmaps:
        names |= {k for k in cm.get("data", {}) if k.startswith("HEARTH_")}
    problems = []
    for d in docs:
        if d["kind"] not in ("Deployment", "Job"):
            continue
        pod = d["spec"]["template"]["spec"]
        mounted = {}
        for volume in pod.get("volumes", []):
            for source in (volume.get("projected") or {}).get("sources", []):
                secret = source.get("secret")
                if not secret:
                    continue
                for item in secret.get("items", []):
                    mounted[item["path"]] = (secret["name"], item["key"])
                    # A key of a Secret the chart renders must be in it (existing Secrets are the operator's).
                    if secret["name"] in secrets and item["key"] not in secrets[secret["name"]]:
                        problems.append(f"{d['kind']} {d['metadata']['name']} mounts {secret['name']}/{item['key']}, which the Secret lacks")
        for container in pod["containers"]:
            command(container.get("args") or [], f"the chart's {d['kind']}")
            for env in container.get("env", []):
                name = env["name"]
                if name.startswith("HEARTH_"):
                    names.add(name)
                value = env.get("value") or ""
                if value.startswith("/etc/hearth/secrets/") and value[len("/etc/hearth/secrets/"):] not in mounted:
                    problems.append(f"{d['kind']} {d['metadata']['name']}: {name} names {value}, which no volume mounts")
        if d["kind"] == "Deployment":
            data = configmaps[0]["data"] if configmaps else {}
            want = int(data.get("HEARTH_DRAIN_DELAY", 0)) + int(data.get("HEARTH_SHUTDOWN_TIMEOUT", 30)) + 5
            if pod.get("terminationGracePeriodSeconds") != want:
                problems.append(f"terminationGracePeriodSeconds is {pod.get('terminationGracePeriodSeconds')}, not drain delay + shutdown timeout + 5 = {want}")
            if any("preStop" in (c.get("lifecycle") or {}) for c in pod["containers"]):
                problems.append("a preStop hook would add to Hearth's own drain delay")
    check(not problems, f"{label}: mounted secret keys exist, every *_FILE is mounted, grace period = drain + shutdown + 5", "; ".join(problems))
    job_placement(docs, label)
    network_policy(docs, label)
    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    if monitors:
        schema = json.load(open(sm_schema, encoding="utf-8"))
        services = [d for d in docs if d["kind"] == "Service"]
        for sm in monitors:
            errors = [f"{e.json_path}: {e.message[:160]}" for e in jsonschema.Draft202012Validator(schema).iter_errors(sm)]
            selector = sm["spec"]["selector"]["matchLabels"]
            matched = [s for s in services if all(s["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())]
            if not matched:
                errors.append("its selector matches no rendered Service")
            for endpoint in sm["spec"]["endpoints"]:
                if matched and endpoint["port"] not in {p.get("name") for s in matched for p in s["spec"]["ports"]}:
                    errors.append(f"port {endpoint['port']} is no named port of the Service")
                credentials = (endpoint.get("authorization") or {}).get("credentials")
                if credentials and credentials["name"] in secrets and credentials["key"] not in secrets[credentials["name"]]:
                    errors.append(f"token {credentials['name']}/{credentials['key']} is not in the rendered Secret")
            check(not errors, f"{label}: ServiceMonitor {sm['metadata']['name']} has the CRD's shape and selects the Service", "; ".join(errors))
    return names


def job_placement(docs, label):
    """The migrations Job runs where the Deployment's pods run, with their extras: a Job that cannot
    be scheduled (a taint, a dedicated pool) or that lacks an extraEnv setting fails the install."""
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    jobs = [d for d in docs if d["kind"] == "Job"]
    if not deployments or not jobs:
        return
    server, job = deployments[0]["spec"]["template"], jobs[0]["spec"]["template"]
    problems = []
    for key in ("nodeSelector", "tolerations", "affinity"):
        if server["spec"].get(key) != job["spec"].get(key):
            problems.append(f"{key} differs")
    for where, key in (("metadata", "annotations"), ("metadata", "labels")):
        own = {k: v for k, v in (server[where].get(key) or {}).items() if not k.startswith(("checksum/", "app.kubernetes.io/component"))}
        theirs = job[where].get(key) or {}
        missing = [k for k in own if k not in theirs]
        if missing:
            problems.append(f"pod {key} missing: {', '.join(missing)}")
    server_env = {e["name"] for e in server["spec"]["containers"][0].get("env", [])}
    job_env = {e["name"] for e in job["spec"]["containers"][0].get("env", [])}
    if missing := sorted(n for n in server_env - job_env if not n.startswith("HEARTH_")):
        problems.append(f"env missing: {', '.join(missing)}")
    volumes = lambda t: {v["name"] for v in t["spec"].get("volumes", [])}
    mounts = lambda t: {m["mountPath"] for m in t["spec"]["containers"][0].get("volumeMounts", [])}
    if missing := sorted(volumes(server) - volumes(job)):
        problems.append(f"volumes missing: {', '.join(missing)}")
    if missing := sorted(mounts(server) - mounts(job)):
        problems.append(f"mounts missing: {', '.join(missing)}")
    name = jobs[0]["metadata"]["name"]
    if len(name) > 63:
        problems.append(f"its name {name} is longer than 63 characters (the job-name label)")
    check(not problems, f"{label}: the migrations Job has the Deployment's placement, labels, annotations, extra env and volumes", "; ".join(problems))


def network_policy(docs, label):
    """DNS goes to any address on port 53 (NodeLocal DNSCache listens on a link-local address no
    selector matches), and some rule reaches PostgreSQL."""
    for d in (d for d in docs if d["kind"] == "NetworkPolicy"):
        egress = d["spec"].get("egress", [])
        dns = any(not rule.get("to") and {(p.get("port"), p.get("protocol")) for p in rule.get("ports", [])} >= {(53, "UDP"), (53, "TCP")} for rule in egress)
        check(dns, f"{label}: NetworkPolicy {d['metadata']['name']} allows DNS to any address (port 53, UDP and TCP)")


def dockerfile(path):
    """The subcommands of the image's CMD and HEALTHCHECK (exec form)."""
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    for line in text.splitlines():
        match = re.match(r"^(CMD|HEALTHCHECK .*CMD) +(\[.*\])", line.strip())
        if match:
            words = json.loads(match.group(2))
            if words and words[0].endswith("hearth"):
                words = words[1:]
            command(words, f"{path} {match.group(1).split()[0]}")


def subcommands(cli, pending_path):
    """Every subcommand the artefacts run is one of `hearth`'s (clap: `Serve` is `serve`)."""
    text = open(cli, encoding="utf-8").read()
    block = re.search(r"pub enum Command \{(.*?)\n\}", text, re.S).group(1)
    known = {re.sub(r"(?<!^)([A-Z])", r"-\1", v).lower() for v in re.findall(r"^    ([A-Z][A-Za-z]*)\b", block, re.M)}
    pending = {l.split()[1] for l in open(pending_path, encoding="utf-8") if l.startswith("command ")}
    unknown = sorted(f"{c} ({', '.join(sorted(w))})" for c, w in COMMANDS.items() if c not in known and c not in pending)
    check(not unknown, "the artefacts run only existing hearth subcommands (" + ", ".join(sorted(COMMANDS)) + ")", "unknown: " + ", ".join(unknown))
    waiting = sorted(c for c in COMMANDS if c in pending and c not in known)
    if waiting:
        print("NOTE pending subcommands (deploy/test/pending.txt): " + ", ".join(waiting))
    stale = sorted(pending & known)
    check(not stale, "deploy/test/pending.txt lists no subcommand that exists", "remove: " + ", ".join(stale))
    # Flags: a clap field of that name (`--live` is `live:`) in the subcommand's variant or args.
    pending_flags = {tuple(l.split()[1:3]) for l in open(pending_path, encoding="utf-8") if l.startswith("flag ")}
    def exists(sub, flag):
        variant = re.sub(r"(^|-)([a-z])", lambda m: m.group(2).upper(), sub)
        body = re.search(rf"^    {variant}\b(.*?)(?=^    [A-Z]|\Z)", block + "\n", re.S | re.M)
        field = flag[2:].replace("-", "_")
        return bool(body and re.search(rf"\b{field}\s*:", body.group(1))) or bool(re.search(rf"pub struct {variant}\w*Args\b[^}}]*\b{field}\s*:", text, re.S))
    unknown = sorted(f"{s} {f} ({', '.join(sorted(w))})" for (s, f), w in FLAGS.items() if not exists(s, f) and (s, f) not in pending_flags)
    check(not unknown, "the artefacts give hearth's subcommands only flags they have", "unknown: " + ", ".join(unknown))
    waiting = sorted(f"{s} {f}" for (s, f) in FLAGS if (s, f) in pending_flags and not exists(s, f))
    if waiting:
        print("NOTE pending flags (deploy/test/pending.txt): " + ", ".join(waiting))
    stale = sorted(f"{s} {f}" for (s, f) in pending_flags if exists(s, f))
    check(not stale, "deploy/test/pending.txt lists no flag that exists", "remove: " + ", ".join(stale))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", required=True)
    parser.add_argument("--pending", required=True)
    parser.add_argument("--values", required=True)
    parser.add_argument("--compose", required=True)
    parser.add_argument("--compose-schema", required=True)
    parser.add_argument("--servicemonitor-schema", required=True)
    parser.add_argument("--dockerfile", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("rendered", nargs="+")
    args = parser.parse_args()

    used = {}
    for name in compose(args.compose_schema, args.compose):
        used.setdefault(name, set()).add(os.path.basename(args.compose))
    for path in args.rendered:
        for name in manifests(path, args.servicemonitor_schema):
            used.setdefault(name, set()).add("the chart")

    dockerfile(args.dockerfile)
    subcommands(args.cli, args.pending)

    docs, with_file = documented(args.docs)
    pending = {l.strip() for l in open(args.pending, encoding="utf-8") if l.strip().startswith("HEARTH_")}
    unknown, waiting = [], []
    for name in sorted(used):
        base = name[: -len("_FILE")] if name.endswith("_FILE") else None
        if name in docs or (base and base in with_file):
            continue
        if name in pending or (base and base in pending):
            waiting.append(name)
        else:
            unknown.append(f"{name} ({', '.join(sorted(used[name]))})")
    check(not unknown, "every HEARTH_* name of compose.yaml and the chart is in docs/configuration.md", "not documented: " + ", ".join(unknown))
    if waiting:
        print("NOTE pending rows of docs/configuration.md (deploy/test/pending.txt): " + ", ".join(waiting))
    stale = sorted(pending & docs)
    check(not stale, "deploy/test/pending.txt lists no setting already documented", "remove: " + ", ".join(stale))

    # The other way: every documented setting is set by the chart, offered in values.yaml's
    # `config`, or named above as deliberately left out.
    config = yaml.safe_load(open(args.values, encoding="utf-8")).get("config", {})
    # A `*_FILE` name offers its setting (HEARTH_X_FILE → HEARTH_X), and itself when the setting's
    # own name ends in _FILE (HEARTH_DATABASE_CA_FILE is a path, not a secret's file form).
    chart_names = {n for n, where in used.items() if "the chart" in where}
    offered = {"HEARTH_" + k.upper() for k in config} | chart_names | {n[: -len("_FILE")] for n in chart_names if n.endswith("_FILE")}
    missing = sorted(n for n in docs if n not in offered and n not in NOT_IN_CHART)
    check(not missing, "the chart offers every setting of docs/configuration.md (or says why not)", "missing: " + ", ".join(missing))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
