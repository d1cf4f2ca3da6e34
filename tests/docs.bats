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
