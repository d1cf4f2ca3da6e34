#!/usr/bin/env bash
# The launch: ss-fc-launch's CPU time from its start to InstanceStart's
# answer (what its launched event reports as timings_us.cpu_to_start: the
# process's user + system time, loading and linking included), against the
# Firecracker test double, next to the double's own start (its exec to its
# API socket accepting, timings_us.spawn_to_socket).  The inputs are real: a
# runner enrolled on a private swtpm, a session from the whole handshake, the
# execution's key; the images are small, so that the fixed cost shows.
# Reported beside it: the CPU of starting the process alone (`--version`:
# exec and the shared libraries, libcurl's thirty among them), and what
# hashing the images adds per MiB (measured with a 64 MiB rootfs).
# Target: the tool's own work - CPU to InstanceStart less the process start
# - a few milliseconds (<= 5 ms).
set -euo pipefail
: "${SS_TOP:?run through bench/run}"
rounds=${SS_BENCH_ROUNDS:-31}
target_ms=5
fake="$SS_TOP/tests/fakes/firecracker"

w=$(mktemp -d)
export BATS_FILE_TMPDIR="$w"
# shellcheck source=../tests/lib/swtpm.bash
source "$SS_TOP/tests/lib/swtpm.bash"
trap 'swtpm_fini >/dev/null 2>&1; rm -rf "$w"' EXIT
swtpm_init >/dev/null
hz=$(getconf CLK_TCK)
# CPU seconds of a process that is not a child of this script (the swtpm
# daemon, the double after ss-fc-launch exits): this benchmark's load.
cpu_of() { awk -v hz="$hz" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# One-time setup (not timed): enrollment, the handshake, the key.
openssl genpkey -algorithm ed25519 -out "$w/cp.pem" 2>/dev/null
chmod 600 "$w/cp.pem"
openssl pkey -in "$w/cp.pem" -pubout -out "$w/cp.pub"
hs() { ss-attest-handshake "$@"; }
ss-tpm-identity enroll --runner-id runner-1 --state "$w/runner" >"$w/id.json"
hs enroll-challenge --key "$w/cp.pem" --identity "$w/id.json" --ek-ca "$SWTPM_CA_BUNDLE" \
	--state "$w/cp" >"$w/cch.json"
ss-tpm-identity activate --cp-pub "$w/cp.pub" --state "$w/runner" <"$w/cch.json" >"$w/cresp.json"
hs enroll-verify --key "$w/cp.pem" --state "$w/cp" <"$w/cresp.json" >/dev/null
printf '{"type":"ss.execution.v1","execution_id":"exec-1","tenant_id":"tenant-a","operator_id":"op-1","fingerprint":"sha256:%s"}\n' \
	"$(printf bench | sha256sum | cut -c1-64)" >"$w/exec.json"
hs policy --pcrs sha256:0,1,2,3,4,5,6,7 --allow-simulator >"$w/policy.yaml"
hs challenge --key "$w/cp.pem" --execution "$w/exec.json" --state "$w/cp" >"$w/ch.json"
hs respond --cp-pub "$w/cp.pub" --state "$w/runner" <"$w/ch.json" >"$w/ev.json"
hs verify --key "$w/cp.pem" --policy "$w/policy.yaml" --session-secret-out "$w/cp.key" \
	--state "$w/cp" <"$w/ev.json" >"$w/session.json"
hs finish --cp-pub "$w/cp.pub" --session-secret-out "$w/runner.key" --state "$w/runner" \
	<"$w/session.json"
ss-derive-key --session "$w/session.json" --cp-pub "$w/cp.pub" --session-secret "$w/runner.key" \
	--secret-out "$w/key.pem" <"$w/exec.json" >"$w/key.json"
printf 'cpu\t%s\n' "$(cpu_of "$(cat "$SWTPM_DIR/pid")")"
swtpm_stop
head -c 65536 /dev/urandom >"$w/vmlinux"
head -c 65536 /dev/urandom >"$w/rootfs.ext4"
head -c 67108864 /dev/urandom >"$w/big.ext4"
cat >"$w/vm.yaml" <<-YAML
type: ss.vm.v1
execution: $(cat "$w/exec.json")
boot-source: {kernel_image_path: $w/vmlinux, boot_args: "console=ttyS0 reboot=k panic=1"}
machine-config: {vcpu_count: 2, mem_size_mib: 1024}
drives:
  - {drive_id: rootfs, path_on_host: $w/rootfs.ext4, is_root_device: true, is_read_only: false}
network-interfaces:
  - {iface_id: eth0, host_dev_name: tap0, guest_mac: "06:00:c0:a8:00:02"}
mmds-config: {network_interfaces: [eth0]}
YAML

: >"$w/cpu.us"
: >"$w/double.us"
: >"$w/big.us"
# launch VM.yaml OUT: one launch; its event in OUT; the VMM killed after.
launch() {
	ss-fc-launch --vm "$1" --cp-pub "$w/cp.pub" --session "$w/session.json" \
		--key "$w/key.json" --key-secret "$w/key.pem" --state "$w/runner" \
		--firecracker "$fake" --api-sock "$w/api.sock" >"$2"
	local pid
	pid=$(jq -r .data.vm.pid "$2")
	printf 'cpu\t%s\n' "$(cpu_of "$pid")"
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.005; done
	rm -f "$w/api.sock"
}
sed "s|$w/rootfs.ext4|$w/big.ext4|" "$w/vm.yaml" >"$w/big.yaml"
for i in $(seq 1 "$rounds"); do
	launch "$w/vm.yaml" "$w/event.json"
	jq -r .data.timings_us.cpu_to_start "$w/event.json" >>"$w/cpu.us"
	jq -r .data.timings_us.spawn_to_socket "$w/event.json" >>"$w/double.us"
	if [ $((i % 4)) -eq 0 ]; then
		launch "$w/big.yaml" "$w/event.json"
		jq -r .data.timings_us.cpu_to_start "$w/event.json" >>"$w/big.us"
	fi
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu=$(median "$w/cpu.us")
double=$(median "$w/double.us")
big=$(median "$w/big.us")
start=$("${SS_PYTHON:-/usr/bin/python3}" - <<-'PY'
	import resource, subprocess
	n = 51
	r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
	for _ in range(n):
	    subprocess.run(["ss-fc-launch", "--version"], stdout=subprocess.DEVNULL, check=True)
	r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
	print(int(((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1e6 / n))
	PY
)
awk -v c="$cpu" -v d="$double" -v s="$start" -v b="$big" -v n="$rounds" -v t="$target_ms" 'BEGIN {
	own = c - s
	printf "row\tfc-launch: CPU to InstanceStart\t%.2f ms, own work %.2f\t%.1f ms (double'"'"'s own start)\t%.2f\town <= %d ms\t%s\n",
		c / 1000, own / 1000, d / 1000, c / d, t, (own <= t * 1000 ? "ok" : "MISSED")
	printf "note\tmedians of %d; process start and libraries %.2f ms; hashing adds %.2f ms/MiB\n",
		n, s / 1000, (b - c) / 1000 / 64
	if (own > t * 1000)
		exit 1
}'
