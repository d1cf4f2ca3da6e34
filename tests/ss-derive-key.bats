#!/usr/bin/env bats
# ss-derive-key from a root secret: the derivation contract against an
# independent reference, determinism and separation, strict input, secret
# handling, and --batch.

load lib/common
load lib/derive

setup() {
	cd "$BATS_TEST_TMPDIR"
	secret_file root 32
	exec_doc exec-1 tenant-a op-1 >exec.json
}

@test "the record matches the reference derivation for every kind and purpose" {
	local kind purpose
	for kind in ed25519 x25519 aes-256 raw; do
		for purpose in execution telemetry A.b:c-d_9; do
			run --separate-stderr ss-derive-key --root-secret root --kind "$kind" \
				--purpose "$purpose" <exec.json
			assert_success
			[ -z "$stderr" ]
			echo "$output" >rec.json
			validate_schema ss.key.v1 rec.json
			[ "$(ids_of rec.json)" = "$("$SS_PYTHON" "$REF_KEYS" --root root --kind "$kind" \
				--purpose "$purpose" <exec.json | cut -d' ' -f1,2)" ]
			[ "$(field rec.json kind)" = "$kind" ]
			[ "$(field rec.json purpose)" = "$purpose" ]
			[ "$(field rec.json session_binding_hash)" = null ]
			[ "$(field rec.json execution_id) $(field rec.json tenant_id) $(field rec.json operator_id)" = \
				"exec-1 tenant-a op-1" ]
		done
	done
}

@test "the default kind is ed25519 and the default purpose is execution" {
	run --separate-stderr ss-derive-key --root-secret root <exec.json
	assert_success
	echo "$output" >rec.json
	[ "$(field rec.json kind)" = ed25519 ]
	[ "$(field rec.json purpose)" = execution ]
}

@test "raw and aes-256 key files hold the reference OKM, mode 0600" {
	local kind
	for kind in raw aes-256; do
		run --separate-stderr ss-derive-key --root-secret root --kind "$kind" \
			--secret-out "$kind.key" <exec.json
		assert_success
		[ "$(stat -c %a "$kind.key")" = 600 ]
		[ "$(hex "$kind.key")" = "$("$SS_PYTHON" "$REF_KEYS" --root root --kind "$kind" <exec.json |
			cut -d' ' -f3)" ]
		echo "$output" >rec.json
		[ "$(field rec.json public_key_pem)" = null ]
	done
}

@test "ed25519 and x25519 key files are PKCS#8 PEM of the OKM, matching public_key_pem" {
	local kind okm
	for kind in ed25519 x25519; do
		run --separate-stderr ss-derive-key --root-secret root --kind "$kind" \
			--secret-out "$kind.pem" <exec.json
		assert_success
		echo "$output" >rec.json
		[ "$(stat -c %a "$kind.pem")" = 600 ]
		head -1 "$kind.pem" | grep -qx -- '-----BEGIN PRIVATE KEY-----'
		# The private key's last 32 bytes (RFC 8410) are the OKM.
		okm=$("$SS_PYTHON" "$REF_KEYS" --root root --kind "$kind" <exec.json | cut -d' ' -f3)
		openssl pkey -in "$kind.pem" -outform DER -out "$kind.der"
		[ "$(hex "$kind.der" | tail -c 64)" = "$okm" ]
		[ "$(openssl pkey -in "$kind.pem" -pubout)" = "$(field rec.json public_key_pem | sed '/^$/d')" ]
	done
}

@test "a signature made with the ed25519 key verifies under public_key_pem" {
	ss-derive-key --root-secret root --purpose telemetry --secret-out sig.pem <exec.json >rec.json
	field rec.json public_key_pem >pub.pem
	echo "telemetry event" >msg
	openssl pkeyutl -sign -rawin -inkey sig.pem -in msg -out msg.sig
	run openssl pkeyutl -verify -rawin -pubin -inkey pub.pem -in msg -sigfile msg.sig
	assert_success
	assert_output --partial "Signature Verified Successfully"
}

@test "same inputs give the same key id and the same key" {
	ss-derive-key --root-secret root --kind raw --secret-out k1 <exec.json >r1.json
	ss-derive-key --root-secret root --kind raw --secret-out k2 <exec.json >r2.json
	[ "$(field r1.json key_id)" = "$(field r2.json key_id)" ]
	[ "$(field r1.json context_hash)" = "$(field r2.json context_hash)" ]
	cmp k1 k2
}

@test "any change of execution, tenant, operator, fingerprint, purpose, kind or root changes the key" {
	exec_doc exec-2 tenant-a op-1 >v-exec.json
	exec_doc exec-1 tenant-b op-1 >v-tenant.json
	exec_doc exec-1 tenant-a op-2 >v-operator.json
	exec_doc exec-1 tenant-a op-1 "$FP_B" >v-fingerprint.json
	secret_file root2 32
	# name root context extra-options
	local variants=(
		"base root exec.json --kind=raw"
		"execution root v-exec.json --kind=raw"
		"tenant root v-tenant.json --kind=raw"
		"operator root v-operator.json --kind=raw"
		"fingerprint root v-fingerprint.json --kind=raw"
		"purpose root exec.json --kind=raw --purpose=other"
		"kind root exec.json --kind=aes-256"
		"root root2 exec.json --kind=raw"
	)
	local v name r ctx opts ids=() keys=() names=() i j
	for v in "${variants[@]}"; do
		read -r name r ctx opts <<<"$v"
		# shellcheck disable=SC2086
		ss-derive-key --root-secret "$r" $opts --secret-out "k-$name" <"$ctx" >"r-$name.json"
		names+=("$name")
		ids+=("$(field "r-$name.json" key_id)")
		keys+=("$(hex "k-$name")")
	done
	for i in "${!ids[@]}"; do
		for j in "${!ids[@]}"; do
			[ "$i" -lt "$j" ] || continue
			[ "${ids[$i]}" != "${ids[$j]}" ] ||
				{ echo "${names[$i]} and ${names[$j]} share a key id" >&2; return 1; }
			[ "${keys[$i]}" != "${keys[$j]}" ] ||
				{ echo "${names[$i]} and ${names[$j]} share a key" >&2; return 1; }
		done
	done
}

# absent TEXT FILE...: fails when TEXT (fixed string) is in any FILE.
absent() {
	local text=$1
	shift
	if LC_ALL=C grep -qaiF -- "$text" "$@"; then
		echo "found '$text' in $*" >&2
		return 1
	fi
}

@test "the key is on no output stream: stdout and stderr hold none of its bytes" {
	local kind okm
	for kind in raw ed25519; do
		ss-derive-key --root-secret root --kind "$kind" --secret-out "s-$kind" \
			<exec.json >out 2>err
		okm=$("$SS_PYTHON" "$REF_KEYS" --root root --kind "$kind" <exec.json | cut -d' ' -f3)
		[ ${#okm} -eq 64 ]
		# Neither as hex, nor as base64, nor as raw bytes; nor the root.
		absent "$okm" out err
		absent "$(xxd -r -p <<<"$okm" | base64 -w0 | cut -c1-40)" out err
		"$SS_PYTHON" -c 'import sys
key = bytes.fromhex(sys.argv[1])
sys.exit(any(key[:12] in open(f, "rb").read() for f in sys.argv[2:]))' "$okm" out err
		absent PRIVATE out err
		absent "$(hex root)" out err
	done
	# The helper does find what is there.
	run ! absent "$(field <(ss-derive-key --root-secret root <exec.json) key_id)" \
		<(ss-derive-key --root-secret root <exec.json)
}

@test "--secret-fd writes the key to the descriptor" {
	run --separate-stderr bash -c 'umask 077; ss-derive-key --root-secret root --kind raw --secret-fd 5 \
		<exec.json 5>fd.key'
	assert_success
	[ "$(hex fd.key)" = "$("$SS_PYTHON" "$REF_KEYS" --root root --kind raw <exec.json | cut -d' ' -f3)" ]
}

@test "--secret-fd on a file that group or others can read is refused (exit 3), nothing written" {
	local mode
	for mode in 022 027 077; do
		rm -f fd.key
		run --separate-stderr bash -c "umask $mode; ss-derive-key --root-secret root --kind raw \
			--secret-fd 5 <exec.json 5>fd.key"
		if [ "$mode" = 077 ]; then
			assert_success
			continue
		fi
		assert_failure_exact 3 "ss-derive-key: secret descriptor 5 is a file that group or others can read (mode $(printf '%04o' $((0666 & ~0$mode))))"
		[ ! -s fd.key ]
	done
}

@test "--secret-fd to a pipe or a socket is fine" {
	local want
	want=$("$SS_PYTHON" "$REF_KEYS" --root root --kind raw <exec.json | cut -d' ' -f3)
	run --separate-stderr bash -c 'umask 022; ss-derive-key --root-secret root --kind raw \
		--secret-fd 5 <exec.json 5>&1 >/dev/null | od -An -v -tx1 | tr -d " \n"'
	assert_success
	[ "$output" = "$want" ]
	run --separate-stderr "$SS_PYTHON" -c 'import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.run(["ss-derive-key", "--root-secret", "root", "--kind", "raw", "--secret-fd", str(b.fileno())],
                   stdin=open("exec.json"), stdout=subprocess.DEVNULL, pass_fds=[b.fileno()])
b.close()
print(p.returncode, a.recv(64).hex())'
	assert_success
	[ "$output" = "0 $want" ]
}

@test "'-' as a secret output is a usage error (exit 2): a secret never goes to stdout" {
	run --separate-stderr ss-derive-key --root-secret root --secret-out - <exec.json
	assert_failure_exact 2 "ss-derive-key: secret output '-': a secret never goes to standard output (give a file name)"
	[ ! -e ./- ]
	contexts 2 >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --batch --secret-dir - <in.jsonl
	assert_failure_exact 2 "ss-derive-key: secret output '-': a secret never goes to standard output (give a file name)"
	[ ! -e ./- ]
	# Everywhere else '-' is standard input: here the context.
	run --separate-stderr ss-derive-key --root-secret root --kind raw <exec.json
	assert_success
}

@test "--root-fd reads the root from a descriptor, same key as the file" {
	ss-derive-key --root-secret root --kind raw <exec.json >a.json
	run --separate-stderr bash -c 'cat root | ss-derive-key --root-fd 5 --kind raw 5<&0 <exec.json'
	assert_success
	echo "$output" >b.json
	[ "$(field a.json key_id)" = "$(field b.json key_id)" ]
}

@test "a root secret longer than 32 bytes is used whole" {
	secret_file long 100
	ss-derive-key --root-secret long --kind raw <exec.json >rec.json
	[ "$(ids_of rec.json)" = "$(ref_ids --root long --kind raw <exec.json)" ]
}

@test "--secret-out to an existing file: exit 6, file untouched" {
	echo "precious" >taken
	touch -d '2001-01-01' taken
	run --separate-stderr ss-derive-key --root-secret root --secret-out taken <exec.json
	assert_failure_exact 6 "ss-derive-key: 'taken' already exists"
	[ "$(cat taken)" = precious ]
	[ "$(stat -c %Y taken)" = "$(date -d 2001-01-01 +%s)" ]
}

@test "--secret-out through a dangling symlink: exit 6, nothing created" {
	ln -s "$BATS_TEST_TMPDIR/nowhere" link
	run --separate-stderr ss-derive-key --root-secret root --secret-out link <exec.json
	assert_failure_exact 6 "ss-derive-key: 'link' already exists"
	[ ! -e nowhere ]
}

@test "a root secret readable by group or others is refused (exit 3)" {
	chmod 640 root
	run --separate-stderr ss-derive-key --root-secret root <exec.json
	assert_failure_exact 3 "ss-derive-key: secret file 'root' is accessible by group or others (mode 0640)"
	chmod 604 root
	run --separate-stderr ss-derive-key --root-secret root <exec.json
	assert_failure_exact 3 "ss-derive-key: secret file 'root' is accessible by group or others (mode 0604)"
}

@test "a root secret shorter than 32 bytes is refused (exit 3)" {
	secret_file short 31
	run --separate-stderr ss-derive-key --root-secret short <exec.json
	assert_failure_exact 3 "ss-derive-key: secret file 'short' is 31 bytes, at least 32 are required"
	run --separate-stderr bash -c 'head -c 31 /dev/zero | ss-derive-key --root-fd 5 5<&0 0<exec.json'
	assert_failure_exact 3 "ss-derive-key: secret descriptor 5 is 31 bytes, at least 32 are required"
}

@test "a root secret that is a symlink or missing is refused" {
	ln -s root root-link
	run --separate-stderr ss-derive-key --root-secret root-link <exec.json
	assert_failure_exact 3 "ss-derive-key: secret file 'root-link' is a symbolic link"
	run --separate-stderr ss-derive-key --root-secret absent <exec.json
	assert_failure_exact 6 "ss-derive-key: open secret file 'absent': No such file or directory"
}

@test "bad contexts: missing or wrong-typed members, duplicates, unknown members -> exit 3" {
	local p='ss-derive-key: read context'
	printf '{"type":"ss.execution.v1","execution_id":"e","operator_id":"o","fingerprint":"%s"}' "$FP_A" >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: member 'tenant_id' is missing"

	printf '{"type":"ss.execution.v1","execution_id":"e","tenant_id":7,"operator_id":"o","fingerprint":"%s"}' "$FP_A" >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: member 'tenant_id' must be a string"

	printf '{"type":"ss.execution.v1","execution_id":"e","tenant_id":"t","tenant_id":"u","operator_id":"o","fingerprint":"%s"}' "$FP_A" >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: duplicate member 'tenant_id'"

	printf '{"type":"ss.execution.v1","execution_id":"e","tenant_id":"t","operator_id":"o","fingerprint":"%s","x":1}' "$FP_A" >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: unknown member 'x'"

	exec_doc e t o sha256:ABC >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: member 'fingerprint' must be sha256:<64 lowercase hex>"

	exec_doc 'e/../x' t o >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: member 'execution_id' is not an identifier ([A-Za-z0-9._:-]{1,128})"

	exec_doc e t o | sed 's/ss.execution.v1/ss.session.v1/' >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: document type 'ss.session.v1' where 'ss.execution.v1' was expected"
}

@test "bad contexts: not JSON, trailing data, empty input, oversized input -> exit 3" {
	local p='ss-derive-key: read context'
	printf '{"type":' >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: unexpected end of JSON at byte 8"

	{ exec_doc e t o; echo '{}'; } >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "$p: trailing data after the document at byte $(exec_doc e t o | wc -c)"

	run --separate-stderr ss-derive-key --root-secret root </dev/null
	assert_failure_exact 3 "$p: unexpected end of JSON at byte 0"

	"$SS_PYTHON" -c 'import sys; sys.stdout.write("{\"x\":\"" + "a" * (1 << 20) + "\"}")' >in
	run --separate-stderr ss-derive-key --root-secret root <in
	assert_failure_exact 3 "ss-derive-key: read standard input: larger than 1048576 bytes"
}

@test "usage errors: no or several input keys, bad values, misplaced options -> exit 2" {
	run --separate-stderr ss-derive-key <exec.json
	assert_failure_exact 2 "ss-derive-key: give exactly one of --session, --root-secret, --root-fd and --root-tpm"
	run --separate-stderr ss-derive-key --root-secret root --root-tpm 0x81000100 <exec.json
	assert_failure_exact 2 "ss-derive-key: give exactly one of --session, --root-secret, --root-fd and --root-tpm"
	run --separate-stderr ss-derive-key --root-secret root --kind rsa <exec.json
	assert_failure_exact 2 "ss-derive-key: --kind: 'rsa' is not one of ed25519, x25519, aes-256, raw"
	run --separate-stderr ss-derive-key --root-secret root --purpose 'a b' <exec.json
	assert_failure_exact 2 "ss-derive-key: --purpose: 'a b' is not an identifier ([A-Za-z0-9._:-]{1,128})"
	run --separate-stderr ss-derive-key --root-secret root --secret-out a --secret-fd 1 <exec.json
	assert_failure_exact 2 "ss-derive-key: --secret-fd: descriptor 1 is standard input/output"
	run --separate-stderr ss-derive-key --root-secret root --root-fd 9 <exec.json
	assert_failure_exact 2 "ss-derive-key: --root-fd: descriptor 9 is not open"
	run --separate-stderr ss-derive-key --root-secret root --secret-dir d <exec.json
	assert_failure_exact 2 "ss-derive-key: --secret-dir applies only with --batch"
	run --separate-stderr ss-derive-key --root-secret root --batch --secret-out k <exec.json
	assert_failure_exact 2 "ss-derive-key: --batch writes keys only to --secret-dir, not --secret-out"
	run --separate-stderr ss-derive-key --root-secret root --auth-file root <exec.json
	assert_failure_exact 2 "ss-derive-key: --auth-file applies only with --root-tpm"
	run --separate-stderr ss-derive-key --root-secret root --handle 0x81000100 <exec.json
	assert_failure_exact 2 "ss-derive-key: option '--handle' does not apply without a command"
	run --separate-stderr ss-derive-key init-tpm-root --handle 0x81000100 --kind raw
	assert_failure_exact 2 "ss-derive-key: option '--kind' does not apply to 'init-tpm-root'"
	run --separate-stderr ss-derive-key init-tpm-root
	assert_failure_exact 2 "ss-derive-key: init-tpm-root: needs --handle"
	run --separate-stderr ss-derive-key --root-tpm 0x01000000 <exec.json
	assert_failure_exact 2 "ss-derive-key: --root-tpm: '0x01000000' is not a handle in 0x81000000..0x81ffffff"
	run --separate-stderr ss-derive-key --root-secret root extra <exec.json
	assert_failure_exact 2 "ss-derive-key: unexpected argument 'extra'"
	run --separate-stderr ss-derive-key --root-secret root --root-secret root <exec.json
	assert_failure_exact 2 "ss-derive-key: option '--root-secret' given more than once"
	run --separate-stderr ss-derive-key --root-secret root --batch --jobs 0 <exec.json
	assert_failure_exact 2 "ss-derive-key: --jobs: '0' is not a number in 1..64"
}

@test "--help lists every option and the command" {
	run --separate-stderr ss-derive-key --help
	assert_success
	assert_output --partial "init-tpm-root --handle HANDLE"
	assert_output --partial "--secret-dir DIR"
	[ -z "$stderr" ]
}

# ---- batch ---------------------------------------------------------------

@test "--batch: key_id and context_hash equal the reference for every line" {
	contexts 3000 >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --kind raw --batch <in.jsonl
	assert_success
	echo "$output" >out.jsonl
	[ "$(wc -l <out.jsonl)" -eq 3000 ]
	validate_schema ss.key.v1 out.jsonl --lines
	diff <(ids_of out.jsonl) <(ref_ids --root root --kind raw <in.jsonl)
}

@test "--batch gives each line the record a single derivation gives" {
	contexts 5 >in.jsonl
	ss-derive-key --root-secret root --kind x25519 --purpose p.1 --batch <in.jsonl >batch.jsonl
	local i=0
	while read -r line; do
		i=$((i + 1))
		echo "$line" | ss-derive-key --root-secret root --kind x25519 --purpose p.1 >one.json
		[ "$(jq -c 'del(.derived_at)' one.json)" = "$(sed -n "${i}p" batch.jsonl | jq -c 'del(.derived_at)')" ]
	done <in.jsonl
}

@test "--batch output does not depend on --jobs, across several chunks" {
	contexts 20000 >in.jsonl
	ss-derive-key --root-secret root --kind aes-256 --batch --jobs 1 <in.jsonl | jq -c 'del(.derived_at)' >j1
	ss-derive-key --root-secret root --kind aes-256 --batch --jobs 3 <in.jsonl | jq -c 'del(.derived_at)' >j3
	[ "$(wc -l <j1)" -eq 20000 ]
	cmp j1 j3
}

@test "--batch with a bad line 3: exit 3 naming it, exactly 2 complete records before" {
	{ contexts 2; echo '{"type":"ss.execution.v1"}'; contexts 5 later; } >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --kind raw --batch <in.jsonl
	[ "$status" -eq 3 ]
	[ "$stderr" = "ss-derive-key: line 3: member 'execution_id' is missing" ]
	[ "${#lines[@]}" -eq 2 ]
	echo "$output" >out.jsonl
	validate_schema ss.key.v1 out.jsonl --lines
	diff <(ids_of out.jsonl) <(head -2 in.jsonl | ref_ids --root root --kind raw)
}

@test "--batch with a bad line deep in a chunk on several threads stops exactly there" {
	{ contexts 9000; echo 'not json'; contexts 3000 later; } >in.jsonl
	local status=0
	ss-derive-key --root-secret root --kind raw --batch --jobs 4 <in.jsonl >out.jsonl 2>err ||
		status=$?
	[ "$status" -eq 3 ]
	[ "$(cat err)" = "ss-derive-key: line 9001: expected a JSON object at byte 0" ]
	[ "$(wc -l <out.jsonl)" -eq 9000 ]
	[ "$(tail -c 1 out.jsonl | od -An -c | tr -d ' ')" = '\n' ]
	diff <(ids_of out.jsonl) <(head -9000 in.jsonl | ref_ids --root root --kind raw)
}

@test "--batch: an empty line and an oversized line are bad lines" {
	{ contexts 1; echo; } >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --batch <in.jsonl
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$stderr" = "ss-derive-key: line 2: unexpected end of JSON at byte 0" ]
	{ contexts 2; "$SS_PYTHON" -c 'print("{\"x\":\"" + "a" * (1 << 20) + "\"}")'; } >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --batch <in.jsonl
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "ss-derive-key: line 3: longer than 1048576 bytes" ]
}

@test "--batch of nothing prints nothing and succeeds" {
	run --separate-stderr ss-derive-key --root-secret root --batch </dev/null
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "--batch --secret-dir: one 0600 file per key id, recomputable" {
	contexts 20 >in.jsonl
	ss-derive-key --root-secret root --kind raw --batch --secret-dir keys <in.jsonl >out.jsonl
	[ "$(stat -c %a keys)" = 700 ]
	[ "$(ls keys | wc -l)" -eq 20 ]
	local id ch okm
	while read -r id ch okm; do
		[ "$(stat -c %a "keys/$id.key")" = 600 ]
		[ "$(hex "keys/$id.key")" = "$okm" ]
	done < <("$SS_PYTHON" "$REF_KEYS" --root root --kind raw <in.jsonl)
	ss-derive-key --root-secret root --kind ed25519 --batch --secret-dir pem <in.jsonl >pem.jsonl
	id=$(head -1 pem.jsonl | jq -r .key_id)
	[ "$(openssl pkey -in "pem/$id.pem" -pubout)" = "$(head -1 pem.jsonl | jq -r .public_key_pem | sed '/^$/d')" ]
}

@test "--batch --secret-dir: a repeated context stops at its line, earlier keys and records kept" {
	{ contexts 3; contexts 1; } >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --kind raw --batch --secret-dir keys <in.jsonl
	local first
	first=$(head -1 in.jsonl | ref_ids --root root --kind raw | cut -d' ' -f1)
	assert_failure 6
	[ "$stderr" = "ss-derive-key: line 4: 'keys/$first.key' already exists" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(ls keys | wc -l)" -eq 3 ]
}

@test "--batch --secret-dir refuses a directory others can enter" {
	mkdir -m 755 open
	contexts 1 >in.jsonl
	run --separate-stderr ss-derive-key --root-secret root --batch --secret-dir open <in.jsonl
	assert_failure_exact 6 "ss-derive-key: directory 'open' is accessible by group or others (mode 0755)"
}

@test "a closed standard output is an error, not a silent success" {
	run --separate-stderr bash -c 'ss-derive-key --root-secret root <exec.json >&-'
	[ "$status" -eq 6 ]
	[[ "$stderr" == "ss-derive-key: standard output: write: Bad file descriptor" ]]
}

@test "a reader that stops early ends the tool quietly: --batch | head -1, a record | true (issue 9)" {
	contexts 20000 >in.jsonl
	run --separate-stderr bash -c 'set -o pipefail; ss-derive-key --root-secret root --kind raw --batch <in.jsonl | head -1'
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -r .type <<<"$output")" = ss.key.v1 ]
	run --separate-stderr bash -c 'set -o pipefail; ss-derive-key --root-secret root <exec.json | true'
	assert_success
	assert_equal "$stderr" ""
	assert_output ""
}

@test "--batch shows progress on stderr only when it is a terminal" {
	contexts 400000 >in.jsonl
	# script(1) gives the command a terminal for stdin/stdout/stderr.
	run script -qec "ss-derive-key --root-secret root --kind raw --batch --jobs 1 <in.jsonl >out.jsonl" /dev/null
	assert_success
	[[ "$output" == *"ss-derive-key: derive: 400000 done ("*"/s)"* ]]
	[ "$(wc -l <out.jsonl)" -eq 400000 ]
	ss-derive-key --root-secret root --kind raw --batch <in.jsonl >/dev/null 2>err
	[ ! -s err ]
}
