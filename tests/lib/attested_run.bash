# Helpers for the suites of scripts/ss-attested-run and scripts/ss-reverify
# (load after common and swtpm).
#
# setup_file: ar_suite_init   a private swtpm, a control-plane key pair in
#                             $AR (cp.pem, cp.pub, other.pem, other.pub), its
#                             policies (policy.yaml allows a simulator,
#                             policy-nosim.yaml does not), stand-ins for the
#                             guest's kernel and root drive
# setup:      ar_test_setup    the suite's TPM in SS_TCTI, $T
# ar_run ID TENANT [options]: ss-attested-run for that execution with the
#                             suite's inputs (Firecracker: the test double),
#                             its run directory $AR/runs/ID.TENANT unless
#                             --run-dir is given; `run` it to see it fail

SCRIPTS="$SS_TOP/scripts"
export FAKE_FC="$SS_TOP/tests/fakes/firecracker"

ar_suite_init() {
	swtpm_init || return 1
	export AR="$BATS_FILE_TMPDIR/ar"
	mkdir -p "$AR/in" "$AR/runs"
	local k
	for k in cp other; do
		openssl genpkey -algorithm ed25519 -out "$AR/$k.pem" 2>/dev/null || return 1
		chmod 600 "$AR/$k.pem"
		openssl pkey -in "$AR/$k.pem" -pubout -out "$AR/$k.pub" || return 1
	done
	ss-attest-handshake policy --pcrs sha256:0-7 --allow-simulator >"$AR/policy.yaml" &&
		ss-attest-handshake policy --pcrs sha256:0-7 >"$AR/policy-nosim.yaml" || return 1
	head -c 4096 /dev/urandom >"$AR/vmlinux"
	head -c 65536 /dev/urandom >"$AR/rootfs.ext4"
	# Each microVM of the double ends by itself, as a short job would.
	export FAKE_FC_EXIT_AFTER_START=20:0
}

ar_test_setup() {
	_swtpm_env
	T=$BATS_TEST_TMPDIR
}

# ar_inputs ID TENANT: the execution and its VM spec in $AR/in.
ar_inputs() {
	printf '{"type":"ss.execution.v1","execution_id":"%s","tenant_id":"%s","operator_id":"operator-1","fingerprint":"sha256:%s"}\n' \
		"$1" "$2" "$(printf '%s/%s' "$2" "$1" | sha256sum | cut -c1-64)" >"$AR/in/$1.$2.json"
	cat >"$AR/in/$1.$2.vm.yaml" <<-EOF
	type: ss.vm.v1
	execution: $(cat "$AR/in/$1.$2.json")
	boot-source:
	  kernel_image_path: $AR/vmlinux
	machine-config:
	  vcpu_count: 1
	  mem_size_mib: 128
	drives:
	  - drive_id: rootfs
	    path_on_host: $AR/rootfs.ext4
	    is_root_device: true
	    is_read_only: true
	EOF
}

# ar_args ID TENANT: ss-attested-run's arguments for it, in AR_ARGS.
ar_args() {
	ar_inputs "$1" "$2"
	AR_ARGS=(--execution "$AR/in/$1.$2.json" --vm "$AR/in/$1.$2.vm.yaml"
		--cp-key "$AR/cp.pem" --cp-pub "$AR/cp.pub" --policy "${AR_POLICY:-$AR/policy.yaml}"
		--ek-ca "$SWTPM_CA_BUNDLE" --runner-id runner-1 --cp-state "$AR/cp"
		--runner-state "$AR/runner" --log "$AR/executions.jsonl"
		--firecracker "$FAKE_FC" --wait)
}

ar_run() {
	local id=$1 tenant=$2
	shift 2
	ar_args "$id" "$tenant"
	local dir=()
	[[ " $* " == *" --run-dir "* ]] || dir=(--run-dir "$AR/runs/$id.$tenant")
	"$SCRIPTS/ss-attested-run" "${AR_ARGS[@]}" "${dir[@]}" "$@"
}
