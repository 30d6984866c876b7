#!/usr/bin/env bash
# make demo: nvidia-device-plugin on a simulated DGX A100 (8x A100, NVSwitch, 2 NUMA nodes),
# talking to the kubelet emulator over real unix sockets. Shows registration, the device list with
# health and NUMA nodes, a preferred allocation and an Allocate for 2 GPUs, an injected XID,
# and a kubelet restart with re-registration; then stops everything and leaves nothing behind.
# Then gpu-feature-discovery labels the same simulated node once, and the node is shared with MPS:
# mps-control-daemon (driving the simulated driver root's fake nvidia-smi and
# nvidia-cuda-mps-control) and the plugin advertising 4 MPS replicas per GPU. Last, the DRA kubelet
# plugin serves the same node (scripts/demo_dra.py): its ResourceSlice, a prepared claim, a restart.
set -euo pipefail

BUILD=${NVDP_BUILD_DIR:-build}
BIN=$BUILD/bin
PROFILE=${NVML_SIM_PROFILE:-dgx-a100}
WORK=$(mktemp -d /tmp/nvdp-demo.XXXXXX)
PLUGIN_PID="" EMULATOR_PID="" MPS_PID=""

cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$PLUGIN_PID" ] && kill "$PLUGIN_PID" 2>/dev/null && wait "$PLUGIN_PID" 2>/dev/null
  [ -n "$EMULATOR_PID" ] && kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null
  [ -n "$MPS_PID" ] && kill "$MPS_PID" 2>/dev/null && wait "$MPS_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -t 1 ]; then
  bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  bold() { printf '\n== %s\n' "$*"; }
fi
send() { echo "$*" >&3; }
settle() { sleep "${1:-0.4}"; }
plugin_log() { grep -E "$1" "$WORK/plugin.log" | sed 's/^/   plugin | /' || true; }

mkdir -p "$WORK/dp"
mkfifo "$WORK/commands"

bold "Simulated node: $PROFILE"
"$BIN/nvml-sim" show "$PROFILE" | sed 's/^/   /'

bold "Starting the kubelet emulator ($WORK/dp/kubelet.sock) and nvidia-device-plugin"
"$BIN/kubelet-emulator" --dir "$WORK/dp" < "$WORK/commands" | sed -u 's/^/   kubelet | /' &
EMULATOR_PID=$!
exec 3> "$WORK/commands"
settle 0.3
NVML_SIM_PROFILE=$PROFILE NVML_SIM_EVENTS=$WORK/faults \
  "$BIN/nvidia-device-plugin" --driver-root-ctr-path "$BUILD/sim-root" \
  --kubelet-socket "$WORK/dp/kubelet.sock" > "$WORK/plugin.log" 2>&1 &
PLUGIN_PID=$!
send "wait registered nvidia.com/gpu"
send "wait devices nvidia.com/gpu 8 healthy=8"
settle
plugin_log "Loaded NVML|NVIDIA driver|Starting GRPC|Registered"

bold "GetPreferredAllocation and Allocate for 2 GPUs (as the kubelet asks before starting a pod)"
send "preferred nvidia.com/gpu 2"
send "allocate nvidia.com/gpu 2"
settle

GPU3=$("$BIN/nvml-sim" show "$PROFILE" --json | sed -n 's/.*"uuid": "\(GPU-[^"]*\)".*/\1/p' | sed -n 4p)
bold "Injecting XID 79 (GPU fallen off the bus) on GPU 3: echo 'xid $GPU3 79' >> \$NVML_SIM_EVENTS"
echo "xid $GPU3 79" >> "$WORK/faults"
send "wait devices nvidia.com/gpu 8 healthy=7 timeout=3"
settle 0.6
plugin_log "XidCriticalError|marked unhealthy"
bold "Allocating 2 GPUs again: the unhealthy one is not offered"
send "allocate nvidia.com/gpu 2"
settle

bold "Simulating a kubelet restart: every socket in the directory is deleted, kubelet.sock re-created"
send "restart"
send "wait registered nvidia.com/gpu count=2 timeout=3"
send "wait devices nvidia.com/gpu 8 timeout=3"
settle 0.6
plugin_log "re-created|inotify|removed|Registered"

bold "Stopping: SIGTERM to the plugin, quit to the emulator"
kill -TERM "$PLUGIN_PID"
wait "$PLUGIN_PID" && echo "   nvidia-device-plugin exited with status 0"
PLUGIN_PID=""
send "quit"
exec 3>&-
wait "$EMULATOR_PID" || true
EMULATOR_PID=""
left=$(ls -A "$WORK/dp")
echo "   sockets left in the plugin directory: ${left:-none}"

bold "gpu-feature-discovery: the node labels NFD would publish for this node (--oneshot)"
"$BIN/nvml-sim" root --out "$WORK/node-root" "$PROFILE"
NVML_SIM_PROFILE=$PROFILE NVML_SIM_EVENTS=$WORK/faults \
  "$BIN/gpu-feature-discovery" --driver-root-ctr-path "$BUILD/sim-root" --oneshot \
  --machine-type-file "$WORK/node-root/sys/class/dmi/id/product_name" \
  --output-file "$WORK/features.d/gfd" 2> "$WORK/gfd.log" || { cat "$WORK/gfd.log"; exit 1; }
sed 's/^/   /' "$WORK/features.d/gfd"
bold "MPS: mps-control-daemon starts one MPS control daemon for nvidia.com/gpu (2 replicas per GPU)"
cat > "$WORK/mps.yaml" <<'YAML'
version: v1
sharing:
  mps:
    resources:
    - name: nvidia.com/gpu
      replicas: 2
YAML
sed 's/^/   config | /' "$WORK/mps.yaml"
# The fake tools first on PATH, so that a real nvidia-smi on this machine is never called.
export PATH="$BUILD/sim-root/usr/bin:$PATH"
mkdir -p "$WORK/mps"
NVML_SIM_PROFILE=$PROFILE "$BIN/mps-control-daemon" --config-file "$WORK/mps.yaml" \
  --container-driver-root "$BUILD/sim-root" --mps-container-root "$WORK/mps" > "$WORK/mps.log" 2>&1 &
MPS_PID=$!
for _ in $(seq 100); do [ -e "$WORK/mps/.ready" ] && break; sleep 0.05; done
settle 0.3
grep -E "nvidia-smi -i .* -c EXCLUSIVE_PROCESS" "$WORK/mps.log" | head -2 | sed 's/^/   mps | /'
echo "   mps | ... (one per GPU)"
grep -E "Cmd:|started|Created" "$WORK/mps.log" | sed 's/^/   mps | /'
echo "   host layout under the MPS root (mps.root, /run/nvidia/mps in the chart):"
(cd "$WORK/mps" && find . -mindepth 1 | sort | sed 's/^/     /')

bold "The plugin checks the MPS daemon, registers 16 replicas, and Allocate adds the MPS pipe"
"$BIN/kubelet-emulator" --dir "$WORK/dp" < "$WORK/commands" | sed -u 's/^/   kubelet | /' &
EMULATOR_PID=$!
exec 3> "$WORK/commands"
settle 0.3
NVML_SIM_PROFILE=$PROFILE "$BIN/nvidia-device-plugin" --driver-root-ctr-path "$BUILD/sim-root" \
  --kubelet-socket "$WORK/dp/kubelet.sock" --config-file "$WORK/mps.yaml" \
  --mps-root /run/nvidia/mps --mps-container-root "$WORK/mps" > "$WORK/plugin-mps.log" 2>&1 &
PLUGIN_PID=$!
send "wait registered nvidia.com/gpu"
send "wait devices nvidia.com/gpu 16"
send "allocate nvidia.com/gpu 1"
settle 0.8
grep -E "MPS control daemon" "$WORK/plugin-mps.log" | sed 's/^/   plugin | /'
bold "A container asking for 2 shares is refused: with MPS each container gets one"
send "allocate nvidia.com/gpu 2"
settle 0.5
kill -TERM "$PLUGIN_PID"; wait "$PLUGIN_PID" || true; PLUGIN_PID=""
send "quit"; exec 3>&-; wait "$EMULATOR_PID" || true; EMULATOR_PID=""
kill -TERM "$MPS_PID"; wait "$MPS_PID" && echo "   mps-control-daemon stopped its daemons and exited with status 0"
MPS_PID=""
grep -E "Cmd:quit|-c DEFAULT" "$WORK/mps.log" | head -2 | sed 's/^/   mps | /'

NVML_SIM_PROFILE=$PROFILE NVDP_BUILD_DIR=$BUILD /usr/bin/python3 scripts/demo_dra.py

echo
echo "Try it yourself: docs/simulator.md (profiles, fault injection), docs/kubelet-emulator.md,"
echo "docs/gpu-feature-discovery.md, docs/mps.md."
