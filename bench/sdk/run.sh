#!/usr/bin/env bash
# Times SDK generation for a large app: CLASSES classes of FIELDS fields each (every Parse type,
# pointers between the classes), in each language, with the release build of the generator.
# Usage: bench/sdk/run.sh [CLASSES] [FIELDS]   (defaults 500 and 40)
set -euo pipefail
cd "$(dirname "$0")/../.."
classes=${1:-500}
fields=${2:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$classes" "$fields" > "$work/app.json" <<'PY'
import json, sys
n, m = int(sys.argv[1]), int(sys.argv[2])
types = ["String", "Number", "Boolean", "Date", "Object", "Array", "GeoPoint", "Bytes", "File", "Polygon", "Pointer", "Relation"]
def field(i, c):
    t = types[i % len(types)]
    spec = {"type": t}
    if t in ("Pointer", "Relation"):
        spec["targetClass"] = f"Class{(c + i) % n:04d}"
    return spec
classes = []
for c in range(n):
    fields = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"}, "ACL": {"type": "ACL"}}
    fields.update({f"field{i:03d}": field(i, c) for i in range(m)})
    classes.append({"className": f"Class{c:04d}", "fields": fields})
print(json.dumps({"app": {"application_id": "bench", "name": "Bench", "server_url": "http://localhost:1337/parse"}, "classes": classes, "manifest": None}))
PY
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}"
cargo build -q --release -p hearth-sdkgen --example generate
bin="$CARGO_TARGET_DIR/release/examples/generate"
echo "SDK generation, $classes classes x $fields fields, release build:"
for lang in ts kotlin swift dart; do
  rm -rf "$work/out"
  start=$(date +%s%N)
  "$bin" "$work/app.json" "$lang" "$work/out" > /dev/null
  end=$(date +%s%N)
  size=$(du -sk "$work/out" | cut -f1)
  files=$(find "$work/out" -type f | wc -l)
  printf '  %-7s %6d ms  %5d files  %7d KiB\n' "$lang" $(( (end - start) / 1000000 )) "$files" "$size"
done
