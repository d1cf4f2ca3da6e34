#!/usr/bin/env bats
# make install puts every tool, man page and completion where PREFIX and
# DESTDIR say, and the installed tools run; the bash completion loads.

load lib/common

@test "make install DESTDIR=... PREFIX=/usr installs tools, man pages and completions" {
	dest=$BATS_TEST_TMPDIR/dest
	san=0
	[[ $SS_BUILD == */build/san ]] && san=1
	run make -s -C "$SS_TOP" install DESTDIR="$dest" PREFIX=/usr SAN=$san
	assert_success
	for t in $(cd "$SS_BUILD/bin" && ls ss-*); do
		[ -x "$dest/usr/bin/$t" ]
		[ -f "$dest/usr/share/man/man1/$t.1" ]
		[ -f "$dest/usr/share/bash-completion/completions/$t" ]
		[ -f "$dest/usr/share/zsh/vendor-completions/_$t" ]
		run "$dest/usr/bin/$t" --version
		assert_success
	done
	[ -f "$dest/usr/share/man/man7/ss-toolkit.7" ]
	[ "$(stat -c %a "$dest/usr/bin/ss-derive-key")" = 755 ]
}

@test "the bash completions load and complete commands" {
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-attest-handshake'
		COMP_WORDS=(ss-attest-handshake ver); COMP_CWORD=1; COMP_LINE='ss-attest-handshake ver'; COMP_POINT=\${#COMP_LINE}
		_ss_attest_handshake; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "verify
verify-quote"
}

@test "every bash completion completes its tool's commands; every zsh completion parses" {
	for f in "$SS_TOP"/completions/bash/ss-*; do
		run bash -n "$f"
		assert_success
	done
	for f in "$SS_TOP"/completions/zsh/_ss-*; do
		run zsh -n "$f"
		assert_success
	done
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-tpm-identity'
		COMP_WORDS=(ss-tpm-identity q); COMP_CWORD=1; COMP_LINE='ss-tpm-identity q'; COMP_POINT=\${#COMP_LINE}
		_ss_tpm_identity; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "quote"
}

@test "the bash completions find the command after global options" {
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-attest-handshake'
		COMP_WORDS=(ss-attest-handshake --state d -v ver); COMP_CWORD=4; COMP_LINE='ss-attest-handshake --state d -v ver'; COMP_POINT=\${#COMP_LINE}
		_ss_attest_handshake; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "verify
verify-quote"
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-tpm-identity'
		COMP_WORDS=(ss-tpm-identity --tcti x pcrs --p); COMP_CWORD=4; COMP_LINE='ss-tpm-identity --tcti x pcrs --p'; COMP_POINT=\${#COMP_LINE}
		_ss_tpm_identity; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "--pcrs"
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-derive-key'
		COMP_WORDS=(ss-derive-key -v init-tpm-root --ha); COMP_CWORD=3; COMP_LINE='ss-derive-key -v init-tpm-root --ha'; COMP_POINT=\${#COMP_LINE}
		_ss_derive_key; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "--handle"
}

@test "the bash completion completes the operator's commands, their options and values" {
	complete_hs() {
		bash -c "source /usr/share/bash-completion/bash_completion
			source '$SS_TOP/completions/bash/ss-attest-handshake'
			COMP_WORDS=($1); COMP_CWORD=$2; COMP_LINE='$1'; COMP_POINT=\${#COMP_LINE}
			_ss_attest_handshake; printf '%s\n' \"\${COMPREPLY[@]}\""
	}
	run complete_hs "ss-attest-handshake st" 1
	assert_output "status"
	run complete_hs "ss-attest-handshake audit --d" 2
	assert_output "--decision"
	run complete_hs "ss-attest-handshake audit --decision d" 3
	assert_output "denied"
	run complete_hs "ss-attest-handshake audit --event enroll" 3
	assert_output "enroll-challenge
enroll-verify"
	run complete_hs "ss-attest-handshake revoke 000b00 --r" 3
	assert_output "--reason"
	run complete_hs "ss-attest-handshake enrollments --rev" 2
	assert_output "--revoked"
}

@test "make install installs the scripts with the tools, their version set, and uninstall removes them" {
	dest=$BATS_TEST_TMPDIR/dest
	san=0
	[[ $SS_BUILD == */build/san ]] && san=1
	run make -s -C "$SS_TOP" install DESTDIR="$dest" PREFIX=/usr SAN=$san
	assert_success
	local s
	for s in $(sed -n 's/^SCRIPTS := //p' "$SS_TOP/Makefile"); do
		[ "$(stat -c %a "$dest/usr/bin/$s")" = 755 ]
		[ -f "$dest/usr/share/man/man1/$s.1" ]
		[ -f "$dest/usr/share/bash-completion/completions/$s" ]
		[ -f "$dest/usr/share/zsh/vendor-completions/_$s" ]
		run "$dest/usr/bin/$s" --version
		assert_success
		assert_output "$s $(cat "$SS_TOP/VERSION")"
		! grep -q @VERSION@ "$dest/usr/bin/$s"
	done
	run make -s -C "$SS_TOP" uninstall DESTDIR="$dest" PREFIX=/usr SAN=$san
	assert_success
	for s in $(sed -n 's/^SCRIPTS := //p' "$SS_TOP/Makefile"); do
		[ ! -e "$dest/usr/bin/$s" ]
		[ ! -e "$dest/usr/share/man/man1/$s.1" ]
	done
}

@test "the scripts' bash completions complete their options" {
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-attested-run'
		COMP_WORDS=(ss-attested-run --run); COMP_CWORD=1; COMP_LINE='ss-attested-run --run'; COMP_POINT=\${#COMP_LINE}
		_ss_attested_run; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "--runner-id
--runner-state
--run-dir"
	run bash -c "source /usr/share/bash-completion/bash_completion
		source '$SS_TOP/completions/bash/ss-attest-handshake'
		COMP_WORDS=(ss-attest-handshake check-session --ev); COMP_CWORD=2; COMP_LINE='ss-attest-handshake check-session --ev'; COMP_POINT=\${#COMP_LINE}
		_ss_attest_handshake; printf '%s\n' \"\${COMPREPLY[@]}\""
	assert_success
	assert_output "--evidence"
}
