#!/usr/bin/env bats
# Every tool documents itself from one source: each option that --help lists
# appears in the man page and in both completions, and every tool answers
# --help and --version.

load lib/common

tools() {
	local t
	for t in "$SS_BUILD"/bin/ss-*; do basename "$t"; done
}

# Long options as --help prints them (the option table is the one source).
help_options() {
	"$1" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u
}

@test "every tool answers --help and --version with status 0" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --help
		assert_success
		[[ "$output" == usage:* ]]
		run --separate-stderr "$t" --version
		assert_success
		assert_output --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+$"
	done
}

@test "every option in --help is in the man page and both completions" {
	local t o missing=""
	for t in $(tools); do
		[ -f "$SS_TOP/man/$t.1" ] || missing+=" $t:man-page"
		[ -f "$SS_TOP/completions/bash/$t" ] || missing+=" $t:bash-completion"
		[ -f "$SS_TOP/completions/zsh/_$t" ] || missing+=" $t:zsh-completion"
		for o in $(help_options "$t"); do
			grep -q -- "${o#--}" "$SS_TOP/man/$t.1" 2>/dev/null || missing+=" $t:man:$o"
			grep -q -- "$o" "$SS_TOP/completions/bash/$t" 2>/dev/null || missing+=" $t:bash:$o"
			grep -q -- "$o" "$SS_TOP/completions/zsh/_$t" 2>/dev/null || missing+=" $t:zsh:$o"
		done
	done
	[ -z "$missing" ] || { echo "missing:$missing" >&2; return 1; }
}

@test "every command in --help is in the man page and both completions" {
	local t c missing=""
	for t in $(tools); do
		for c in $("$t" --help | awk '/^Commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}'); do
			grep -q -- "$c" "$SS_TOP/man/$t.1" 2>/dev/null || missing+=" $t:man:$c"
			grep -q -- "$c" "$SS_TOP/completions/bash/$t" 2>/dev/null || missing+=" $t:bash:$c"
			grep -q -- "$c" "$SS_TOP/completions/zsh/_$t" 2>/dev/null || missing+=" $t:zsh:$c"
		done
	done
	[ -z "$missing" ] || { echo "missing:$missing" >&2; return 1; }
}

@test "every man page passes mandoc-style lint through man" {
	local t
	for t in $(tools); do
		run bash -c "MANWIDTH=80 man --warnings -l '$SS_TOP/man/$t.1' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "every tool has a README section" {
	local t
	for t in $(tools); do
		grep -q "^## $t\$" "$SS_TOP/README.md" || { echo "no README section for $t" >&2; return 1; }
	done
}

@test "unknown options and commands are usage errors (exit 2, one line)" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --no-such-option
		[ "$status" -eq 2 ] && [ -z "$output" ] || { echo "$t: status $status" >&2; return 1; }
		[[ "$stderr" == "$t: unknown option '--no-such-option'" ||
		   "$stderr" == "$t: unknown command '--no-such-option' (try '$t --help')" ]] ||
			{ echo "$t: $stderr" >&2; return 1; }
	done
}

# The commands an overview lists.
help_commands() {
	"$1" --help | awk '/^Commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}'
}

@test "TOOL COMMAND --help is that command's synopsis, its options and an example" {
	local t c synopsis
	for t in $(tools); do
		for c in $(help_commands "$t"); do
			synopsis=$("$t" --help | awk -v c="$c" '$1 == c {sub(/^  [^ ]+ /, ""); print; exit}')
			run --separate-stderr "$t" "$c" --help
			assert_success
			[ -z "$stderr" ]
			assert_line --index 0 "usage: $t $c $synopsis"
			assert_output --partial "$(printf 'Example:\n  %s %s' "$t" "$c")"
			refute_output --partial "Commands:"
			# The options it lists are the command's own: each is accepted
			# (then --help stops the tool before it does anything).
			local o
			for o in $("$t" "$c" --help | sed -nE 's/^  (-[a-zA-Z], |    )(--[a-z0-9-]+)( [A-Z]\S*)?.*/\2\3/p' |
				   sed -E 's/ .*/=x/'); do
				[ "$o" = --help ] && continue
				run --separate-stderr "$t" "$c" "$o" --help
				[[ "$stderr" != *"does not apply"* && "$stderr" != *unknown* ]] ||
					{ echo "$t $c $o: $stderr" >&2; return 1; }
			done
		done
	done
}

@test "one command's --help, exactly (ss-derive-key init-tpm-root)" {
	run --separate-stderr ss-derive-key init-tpm-root --help
	assert_success
	assert_output "$(cat <<-'OUT'
	usage: ss-derive-key init-tpm-root --handle HANDLE [--auth-file FILE | --auth-fd N] [--owner-auth-file FILE]

	create an HMAC-SHA256 root inside the TPM and persist it at HANDLE

	Options:
	      --handle HANDLE            persistent handle for the new root
	      --auth-file FILE           the TPM root's auth value (owner-only file)
	      --auth-fd N                read the TPM root's auth value from descriptor N
	      --owner-auth-file FILE     owner hierarchy auth value (owner-only file)
	      --tcti TCTI                TPM connection (else SS_TCTI, TPM2TOOLS_TCTI)
	  -v, --verbose                  let tpm2-tss log to stderr
	  -h, --help                     show this help and exit

	Example:
	  ss-derive-key init-tpm-root --handle 0x81000100 --auth-file root.auth

	Exit status: 0 ok, 1 refused by a check, 2 usage, 3 invalid input,
	4 TPM error, 5 crypto error, 6 I/O or OS error, 7 VMM error.
	See ss-derive-key(1) and ss-toolkit(7).
	OUT
	)"
}

@test "TOOL --help stays the overview and says where a command's help is" {
	local t
	for t in $(tools); do
		run --separate-stderr "$t" --help
		assert_success
		assert_line "'$t COMMAND --help' shows one command's options and an example."
	done
	run --separate-stderr ss-attest-handshake --state /nonexistent --help
	assert_success
	assert_line --index 0 "usage: ss-attest-handshake COMMAND [OPTIONS]"
	assert_line "--tcti, --verbose and --state may come before COMMAND as well as after it."
}

@test "a global option before the command is checked like one after it" {
	run --separate-stderr ss-attest-handshake --state d policy --pcrs sha256:0
	assert_failure_exact 2 "ss-attest-handshake: option '--state' does not apply to 'policy'"
	run --separate-stderr ss-tpm-identity -v --state d ak-pub
	assert_failure_exact 2 "ss-tpm-identity: option '--state' does not apply to 'ak-pub'"
	run --separate-stderr ss-attest-handshake --state
	assert_failure_exact 2 "ss-attest-handshake: option '--state' needs an argument"
	run --separate-stderr ss-attest-handshake --key k challenge
	assert_failure_exact 2 "ss-attest-handshake: unknown command '--key' (try 'ss-attest-handshake --help')"
	run --separate-stderr ss-derive-key --tcti x init-tpm-root --kind raw
	assert_failure_exact 2 "ss-derive-key: option '--kind' does not apply to 'init-tpm-root'"
	run --separate-stderr ss-tpm-identity --state d enroll
	assert_failure_exact 2 "ss-tpm-identity: enroll: needs --runner-id"
}

@test "make lint runs mandoc -T lint over every page: the pages pass, a planted warning fails (issue 9)" {
	run --separate-stderr "$SS_TOP/scripts/check-man" "$SS_TOP"
	assert_success
	assert_equal "$stderr" ""
	local scratch
	scratch=$(mktemp -d "$BATS_TEST_TMPDIR/tree.XXXXXX")
	mkdir "$scratch/man"
	cp "$SS_TOP"/man/* "$scratch/man/"
	printf '.Pp\nAs said in\n.Xr ss-derive-key .\n' >>"$scratch/man/ss-fc-launch.1"
	n=$(wc -l <"$scratch/man/ss-fc-launch.1")
	run --separate-stderr "$SS_TOP/scripts/check-man" "$scratch"
	assert_failure_exact 1 "mandoc: $scratch/man/ss-fc-launch.1:$n:2: WARNING: missing section argument: Xr ss-derive-key"
	run make -s -C "$SS_TOP" lint
	assert_success
}

@test "the overview page is ss-toolkit(7), not ss(7) (iproute2's ss(8) owns 'man ss'): every page, the README and --help point to it (issue 9)" {
	local t
	[ -f "$SS_TOP/man/ss-toolkit.7" ]
	[ ! -e "$SS_TOP/man/ss.7" ]
	for t in $(tools); do
		grep -q '^\.Xr ss-toolkit 7' "$SS_TOP/man/$t.1"
		run "$t" --help
		assert_output --partial "See $t(1) and ss-toolkit(7)."
	done
	grep -q '(man/ss-toolkit.7)' "$SS_TOP/README.md"
	run grep -rn --include='*.[1-9]' --include='*.md' --include='*.c' --include='*.h' -e 'Xr ss 7' -e 'ss(7)' "$SS_TOP/man" "$SS_TOP/README.md" "$SS_TOP/docs" "$SS_TOP/common" "$SS_TOP/cmd"
	assert_failure
	run man -w -l "$SS_TOP/man/ss-toolkit.7"
	assert_success
}

@test "one form for TPM handles and NV indexes in the pages and schemas: 0x and 8 hex digits (issue 9)" {
	run grep -rnE '0x1c000[0-9a-f]{2}\b' "$SS_TOP/man" "$SS_TOP/docs" "$SS_TOP/README.md"
	assert_failure
	grep -q '"pattern": "\^0x01c000\[0-9a-f\]{2}\$"' "$SS_TOP/docs/schemas/ss.identity.v1.schema.json"
}

# The scripts installed with the tools (SCRIPTS in the Makefile).
installed_scripts() {
	sed -n 's/^SCRIPTS := //p' "$SS_TOP/Makefile"
}

@test "every installed script answers --help and --version, and has a man page and both completions" {
	local s o missing=""
	[ -n "$(installed_scripts)" ]
	for s in $(installed_scripts); do
		run --separate-stderr "$SS_TOP/scripts/$s" --help
		assert_success
		[[ "$output" == usage:* ]]
		run --separate-stderr "$SS_TOP/scripts/$s" --version
		assert_success
		assert_output --regexp "^$s [0-9]+\.[0-9]+\.[0-9]+$"
		[ -f "$SS_TOP/man/$s.1" ] || missing+=" $s:man-page"
		[ -f "$SS_TOP/completions/bash/$s" ] || missing+=" $s:bash-completion"
		[ -f "$SS_TOP/completions/zsh/_$s" ] || missing+=" $s:zsh-completion"
		for o in $("$SS_TOP/scripts/$s" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			grep -q -- "${o#--}" "$SS_TOP/man/$s.1" 2>/dev/null || missing+=" $s:man:$o"
			grep -q -- "$o" "$SS_TOP/completions/bash/$s" 2>/dev/null || missing+=" $s:bash:$o"
			grep -q -- "$o" "$SS_TOP/completions/zsh/_$s" 2>/dev/null || missing+=" $s:zsh:$o"
		done
		grep -q "\`$s\`" "$SS_TOP/README.md" || missing+=" $s:README"
	done
	[ -z "$missing" ] || { echo "missing:$missing" >&2; return 1; }
}

@test "every installed script's man page passes mandoc-style lint through man" {
	local s
	for s in $(installed_scripts); do
		run bash -c "MANWIDTH=80 man --warnings -l '$SS_TOP/man/$s.1' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "installed scripts: unknown options are usage errors (exit 2, one line)" {
	local s
	for s in $(installed_scripts); do
		run --separate-stderr "$SS_TOP/scripts/$s" --no-such-option
		assert_failure_exact 2 "$s: unknown option '--no-such-option'"
	done
}
