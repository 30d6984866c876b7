#!/usr/bin/env bash
# GPU reality check: runs the project's programs against a real NVIDIA driver and compares what
# they read through NVML with what nvidia-smi and NVIDIA's Python bindings (pynvml) report. It is
# the only check of our NVML declarations (struct layouts, symbol versions) against real hardware.
#
# Build here, then on a machine with an NVIDIA GPU and driver (no network or packages needed),
# from the project root, with build/bin, build/sim-root (and build/glibc, see below) copied along:
#   OUT=<dir> bash scripts/gpu-check.sh
# Read <dir>/summary.txt. Extends ../shared/gpu-check.sh (same first checks) with:
#  - dry-run JSON vs pynvml / nvidia-smi for every GPU (UUID, name, memory, bus id, minor, CC)
#  - the device plugin on the real driver against the kubelet emulator: registration, the device
#    list, an Allocate, a simulated kubelet restart, SIGTERM clean-up; start-to-registered time
#    and idle RSS on real hardware; the health probes on the real driver (no GPU may go
#    Unhealthy, no NVML error) through /healthz, /readyz and /metrics
#  - gpu-feature-discovery --oneshot on the real driver, its labels compared with pynvml
#  - CDI spec generation on the real driver root: which driver files and device nodes the spec
#    lists, that each exists on the host, and nvidia-ctk's own spec for comparison when installed
# build/glibc (optional: `make gpu-check-bundle`) holds this build's glibc; it is used only when
# the machine's own glibc is too old for the programs.
set -u
OUT=${OUT:-/tmp/gpu-check}; mkdir -p "$OUT"; B=build/bin
S="$OUT/summary.txt"; : > "$S"
say() { echo "$*" | tee -a "$S"; }

say "host: $(uname -r), $(ldd --version 2>&1 | head -1)"
nvidia-smi -q -x > "$OUT/nvidia-smi.xml" 2>&1 || say "nvidia-smi -q failed"
nvidia-smi topo -m > "$OUT/topo.txt" 2>&1
nvidia-smi --query-gpu=index,uuid,name,memory.total,pci.bus_id,compute_cap --format=csv,noheader,nounits \
  > "$OUT/smi-gpus.csv" 2>&1
ls -la /usr/lib/x86_64-linux-gnu/libnvidia-ml.so* /usr/lib64/libnvidia-ml.so* /usr/local/nvidia/lib64/libnvidia-ml.so* \
  2>/dev/null > "$OUT/nvml-libs.txt"

# Run our programs with this machine's glibc, or with the one they were built against.
RUN=""
if ! "$B/nvidia-device-plugin" --version > "$OUT/nvidia-device-plugin.version" 2>&1; then
  if [ -x build/glibc/ld-linux-x86-64.so.2 ]; then
    RUN="build/glibc/ld-linux-x86-64.so.2 --library-path build/glibc"
    say "host glibc too old for the programs ($(tail -1 "$OUT/nvidia-device-plugin.version")); using build/glibc"
    $RUN "$B/nvidia-device-plugin" --version > "$OUT/nvidia-device-plugin.version" 2>&1
  fi
fi
say "nvidia-device-plugin --version: $(head -1 "$OUT/nvidia-device-plugin.version")"

python3 - > "$OUT/truth.json" 2> "$OUT/truth.err" <<'PY'
import json, pynvml as n
n.nvmlInit()
d = {"driver": n.nvmlSystemGetDriverVersion(), "cuda": n.nvmlSystemGetCudaDriverVersion(), "gpus": []}
for i in range(n.nvmlDeviceGetCount()):
    h = n.nvmlDeviceGetHandleByIndex(i)
    g = {"index": i, "name": n.nvmlDeviceGetName(h), "uuid": n.nvmlDeviceGetUUID(h),
         "memory_mib": n.nvmlDeviceGetMemoryInfo(h).total // (1024 * 1024),
         "bus_id": n.nvmlDeviceGetPciInfo(h).busId, "minor": n.nvmlDeviceGetMinorNumber(h),
         "cc": list(n.nvmlDeviceGetCudaComputeCapability(h))}
    try: g["mig_mode"] = list(n.nvmlDeviceGetMigMode(h))
    except n.NVMLError as e: g["mig_mode"] = str(e)
    d["gpus"].append(g)
print(json.dumps(d, indent=1, default=str))
PY
if [ -s "$OUT/truth.json" ]; then
  say "pynvml truth: $(python3 -c "import json;d=json.load(open('$OUT/truth.json'));print(d['driver'], d['cuda'], [g['name'] for g in d['gpus']])")"
else
  say "pynvml unavailable ($(tail -1 "$OUT/truth.err")); comparing with nvidia-smi only"
fi

for p in gpu-feature-discovery config-manager mps-control-daemon; do
  [ -x "$B/$p" ] && { $RUN "$B/$p" --version > "$OUT/$p.version" 2>&1 || say "$p --version failed: $(tail -1 "$OUT/$p.version")"; }
done

if [ -x "$B/nvidia-device-plugin" ]; then
  timeout 30 $RUN "$B/nvidia-device-plugin" --driver-root-ctr-path / --dry-run --output json > "$OUT/dry-run.json" 2> "$OUT/dry-run.log"
  say "device plugin dry-run rc=$? ($(wc -c < "$OUT/dry-run.json") bytes; log tail: $(tail -1 "$OUT/dry-run.log"))"
  python3 - "$OUT/dry-run.json" "$OUT/truth.json" "$OUT/smi-gpus.csv" >> "$S" 2>&1 <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
try: truth = json.load(open(sys.argv[2]))
except Exception: truth = None
bad = []
def check(what, got, want):
    if got != want: bad.append(f"{what}: ours={got!r} truth={want!r}")
if truth:
    check("driver", ours["driverVersion"], truth["driver"])
    check("cuda", ours["cudaDriverVersion"], truth["cuda"])
    check("gpu count", len(ours["gpus"]), len(truth["gpus"]))
    for o, t in zip(ours["gpus"], truth["gpus"]):
        i = t["index"]
        for key, want in (("uuid", t["uuid"]), ("name", t["name"]), ("memoryMiB", t["memory_mib"]),
                          ("pciBusId", t["bus_id"]), ("minor", t["minor"]), ("computeCapability", t["cc"])):
            check(f"gpu{i}.{key}", o.get(key), want)
print("dry-run vs pynvml:", ("all match" if not bad else "MISMATCH\n  " + "\n  ".join(bad)) if truth else "skipped")
smi = [l.split(", ") for l in open(sys.argv[3]) if l.count(",") >= 5]
bad = []
for o, row in zip(ours["gpus"], smi):
    idx, uuid, name, mem, bus, cc = row[:6]
    check(f"gpu{idx}.uuid", o["uuid"], uuid); check(f"gpu{idx}.name", o["name"], name)
    check(f"gpu{idx}.memoryMiB", o["memoryMiB"], int(mem)); check(f"gpu{idx}.pciBusId", o["pciBusId"], bus)
    check(f"gpu{idx}.cc", "%d.%d" % tuple(o["computeCapability"]), cc.strip())
print("dry-run vs nvidia-smi:", "all match" if not bad and smi else ("no nvidia-smi rows" if not smi else "MISMATCH\n  " + "\n  ".join(bad)))
print("links seen:", {l["pcie"] for l in ours["links"]} or "single GPU", "switch NVLinks:", ours["switchNvLinks"],
      "NUMA:", [g["numaNode"] for g in ours["gpus"]])
PY
fi

if [ -x "$B/nvidia-device-plugin" ] && [ -x "$B/kubelet-emulator" ]; then
  D=$(mktemp -d /tmp/nvdp-gpu.XXXXXX); mkfifo "$D/cmd"
  N=$(python3 -c "import json;print(len(json.load(open('$OUT/dry-run.json'))['gpus']))" 2>/dev/null || echo 1)
  timeout 40 $RUN "$B/kubelet-emulator" --dir "$D/dp" --json < "$D/cmd" > "$OUT/emulator.jsonl" 2> "$OUT/emulator.err" &
  EMU=$!; exec 9> "$D/cmd"; sleep 0.3
  T0=$(python3 -c 'import time;print(int(time.monotonic()*1000))')
  $RUN "$B/nvidia-device-plugin" --driver-root-ctr-path / --kubelet-socket "$D/dp/kubelet.sock" \
    --metrics-address 127.0.0.1:0 --health-probe-interval 300ms > "$OUT/plugin.log" 2>&1 &
  PLUGIN=$!
  { echo "wait registered nvidia.com/gpu timeout=10"; echo "wait devices nvidia.com/gpu $N healthy=$N timeout=5";
    echo "allocate nvidia.com/gpu 1"; echo "sleep 1500"; } >&9
  sleep 2.2
  RSS=$(awk '/VmRSS/{print $2}' /proc/$PLUGIN/status 2>/dev/null)
  PORT=$(sed -n 's/.*Serving \/healthz.*(port \([0-9]*\)).*/\1/p' "$OUT/plugin.log" | head -1)
  for path in healthz readyz metrics; do
    python3 -c "import sys,urllib.request as u
try: r=u.urlopen('http://127.0.0.1:$PORT/$path',timeout=3); print(r.status); print(r.read().decode())
except Exception as e: print(getattr(e,'code','error'), e)" > "$OUT/http-$path.txt" 2>&1
  done
  { echo "restart"; echo "wait registered nvidia.com/gpu count=2 timeout=5";
    echo "wait devices nvidia.com/gpu $N timeout=5"; echo "allocate nvidia.com/gpu 1"; } >&9
  sleep 1.5; kill -TERM $PLUGIN; wait $PLUGIN; PRC=$?
  echo quit >&9; exec 9>&-; wait $EMU
  python3 - "$OUT/emulator.jsonl" "$T0" "$RSS" "$PRC" "$(ls "$D/dp" | tr '\n' ' ')" >> "$S" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t0, rss, rc, left = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split()
reg = [l for l in lines if l.get("event") == "registered"]
dev = [l for l in lines if l.get("event") == "devices"]
alloc = [l for l in lines if l.get("reply") == "allocate"]
waits = [l for l in lines if l.get("reply") == "wait"]
print(f"plugin e2e on the real driver: registrations={len(reg)}, waits ok={[w['ok'] for w in waits]}")
if reg: print(f"  start-to-registered: {reg[0]['t_ms'] - t0} ms; idle VmRSS {rss} kB")
if dev: print(f"  devices: {dev[-1]['healthy']}/{dev[-1]['total']} healthy, NUMA {[d['numa'] for d in dev[-1]['devices']]}")
for a in alloc: print(f"  allocate ok={a['ok']} {a.get('response', {}).get('envs', a.get('error'))} ({a['latency_us']} us)")
if len(reg) > 1: print(f"  re-registered {reg[1]['t_ms'] - [l for l in lines if l.get('event') == 'restarted'][0]['t_ms']} ms after the kubelet restart")
print(f"  SIGTERM exit code {rc}; files left in the plugin dir: {[f for f in left if f != 'kubelet.sock'] or 'none'}")
PY
  python3 - "$OUT" >> "$S" 2>&1 <<'PY'
import sys
out = sys.argv[1]
first = lambda p: open(f"{out}/http-{p}.txt").read().split("\n", 1)
for p in ("healthz", "readyz"):
    status, body = first(p)
    print(f"  /{p}: {status} {body.strip()}")
status, text = first("metrics")
keep = [l for l in text.splitlines() if l.startswith(("nvidia_device_plugin_devices", "nvidia_device_plugin_nvml_errors_total",
                                                       "nvidia_device_plugin_marked_unhealthy_total", "nvidia_device_plugin_nvml_hung_calls"))]
print(f"  /metrics: {status}; " + ("; ".join(keep) if keep else "no health series"))
PY
  grep -E "^[EW]" "$OUT/plugin.log" | head -5 | sed 's/^/  plugin log: /' >> "$S"
  rm -rf "$D"
fi

if [ -x "$B/gpu-feature-discovery" ]; then
  timeout 30 $RUN "$B/gpu-feature-discovery" --driver-root-ctr-path / --oneshot --no-timestamp \
    --output-file "$OUT/gfd.labels" > "$OUT/gfd.log" 2>&1
  say "gfd rc=$? ($(wc -l < "$OUT/gfd.labels" 2>/dev/null || echo 0) labels)"
  python3 - "$OUT/gfd.labels" "$OUT/truth.json" >> "$S" 2>&1 <<'PY'
import json, re, sys
labels = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
print("  gfd labels: " + ", ".join(f"{k.replace('nvidia.com/', '')}={v}" for k, v in sorted(labels.items())))
try: truth = json.load(open(sys.argv[2]))
except Exception: sys.exit()
g = truth["gpus"][0]
sanitise = lambda s: "-".join(re.sub(r"[^A-Za-z0-9\-_. ]", "", s).split())
want = {"gpu.product": sanitise(g["name"]), "gpu.memory": str(g["memory_mib"]), "gpu.count": str(len(truth["gpus"])),
        "gpu.compute.major": str(g["cc"][0]), "gpu.compute.minor": str(g["cc"][1]),
        "cuda.driver-version.full": truth["driver"],
        "cuda.runtime-version.full": f"{truth['cuda'] // 1000}.{truth['cuda'] % 1000 // 10}",
        "mig.capable": "false" if "Not Supported" in str(g["mig_mode"]) else "true"}
bad = [f"{k}: gfd={labels.get('nvidia.com/' + k)!r} truth={v!r}" for k, v in want.items() if labels.get("nvidia.com/" + k) != v]
print("  gfd vs pynvml:", "all match" if not bad else "MISMATCH\n    " + "\n    ".join(bad))
PY
fi
if [ -x "$B/nvidia-device-plugin" ]; then
  D=$(mktemp -d)
  timeout 5 $RUN "$B/nvidia-device-plugin" --driver-root-ctr-path / --device-list-strategy=cdi-cri \
    --cdi-spec-dir "$OUT/cdi" --kubelet-socket "$D/kubelet.sock" > "$OUT/cdi.log" 2>&1
  say "cdi: $(grep -c 'Wrote the CDI spec' "$OUT/cdi.log") spec(s) written; $(grep -E '^[EF]' "$OUT/cdi.log" | head -1)"
  command -v nvidia-ctk >/dev/null && nvidia-ctk cdi generate --output "$OUT/nvidia-ctk-spec.yaml" > /dev/null 2>&1
  python3 - "$OUT" "$OUT/truth.json" >> "$S" 2>&1 <<'PY'
import json, os, sys
out = sys.argv[1]
try: spec = json.load(open(f"{out}/cdi/k8s.device-plugin.nvidia.com-gpu.json"))
except Exception as e: print(f"  cdi: no gpu spec ({e})"); sys.exit()
edits = spec["containerEdits"]
mounts = [m["containerPath"] for m in edits.get("mounts", [])]
libs = sorted(os.path.basename(m) for m in mounts if ".so" in m)
missing = [p for p in mounts + [n["hostPath"] for n in edits.get("deviceNodes", [])] if not os.path.exists(p)]
for d in spec["devices"]:
    missing += [n["hostPath"] for n in d["containerEdits"].get("deviceNodes", []) if not os.path.exists(n["hostPath"])]
print(f"  cdi: version {spec['cdiVersion']}, devices {[d['name'] for d in spec['devices']]}")
print(f"  cdi: {len(libs)} libraries: {', '.join(libs)}")
print(f"  cdi: other mounts: {[m for m in mounts if '.so' not in m]}")
print(f"  cdi: control nodes {[n['path'] for n in edits.get('deviceNodes', [])]}; hooks {[h['args'][2] if len(h['args']) > 2 else h['args'] for h in edits.get('hooks', [])]}")
print(f"  cdi: every listed path exists on the host" if not missing else f"  cdi: MISSING on the host: {missing}")
try:
    truth = json.load(open(sys.argv[2]))
    print("  cdi: libcuda for the running driver: " + ("yes" if f"libcuda.so.{truth['driver']}" in libs else "NO"))
except Exception: pass
if os.path.exists(f"{out}/nvidia-ctk-spec.yaml"):
    theirs = open(f"{out}/nvidia-ctk-spec.yaml").read()
    only_theirs = sorted({l.split()[-1] for l in theirs.splitlines() if "containerPath:" in l} - set(mounts))
    print(f"  cdi: nvidia-ctk mounts we do not list: {only_theirs}")
PY
  rm -rf "$D"
fi

# gpu-kubelet-plugin: the ResourceSlice devices it would publish, against pynvml's truth.
if [ -x "$B/gpu-kubelet-plugin" ]; then
  timeout 30 $RUN "$B/gpu-kubelet-plugin" --node-name gpu-check --container-driver-root / --dry-run --output json \
    > "$OUT/dra-slices.json" 2> "$OUT/dra-slices.log"
  say "dra dry-run rc=$? ($(wc -c < "$OUT/dra-slices.json") bytes; log tail: $(tail -1 "$OUT/dra-slices.log"))"
  python3 - "$OUT/dra-slices.json" "$OUT/truth.json" >> "$S" 2>&1 <<'PY'
import json, sys
try: devices = [d for s in json.load(open(sys.argv[1])) for d in s["spec"]["devices"]]
except Exception as e: print(f"  dra: no slices ({e})"); sys.exit()
for d in devices:
    a = d["attributes"]
    print(f"  dra: {d['name']} {a['uuid']['string']} {a.get('productName', {}).get('string')} brand {a.get('brand', {}).get('string')} "
          f"arch {a.get('architecture', {}).get('string')} cc {a['cudaComputeCapability']['version']} "
          f"driver {a.get('driverVersion', {}).get('version')} cuda {a.get('cudaDriverVersion', {}).get('version')} "
          f"pci {a['resource.kubernetes.io/pciBusID']['string']} root {a.get('resource.kubernetes.io/pcieRoot', {}).get('string')} "
          f"memory {d['capacity']['memory']['value']}")
try:
    truth = json.load(open(sys.argv[2]))
    uuids = sorted(g["uuid"] for g in truth["gpus"])
    ours = sorted(d["attributes"]["uuid"]["string"] for d in devices if d["attributes"]["type"]["string"] == "gpu")
    print("  dra: GPU UUIDs match pynvml" if ours == uuids or not ours else f"  dra: UUIDs DIFFER: {ours} vs {uuids}")
except Exception as e: print(f"  dra: no truth to compare ({e})")
PY
fi
say "outputs in $OUT"
