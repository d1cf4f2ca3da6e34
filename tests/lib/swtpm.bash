# A private software TPM per bats file.
#
# setup_file:    swtpm_init [--pcr-banks sha1,sha256]
# setup:         tpm_restore pristine        (each test starts from a known state)
# teardown:      assert_tpm_clean            (no transient object or session left)
# teardown_file: swtpm_fini
#
# swtpm_init manufactures a TPM with swtpm_setup under a private
# configuration (its own local CA, so EK certificates chain to
# $SWTPM_CA_BUNDLE and no machine-wide lock is shared), keeps a pristine copy
# of its state, and serves it on free loopback ports.  The TPM is always
# stopped with TPM2_Shutdown(CLEAR) and swtpm_ioctl -s so that clock.safe
# stays set; swtpm_crash stops it without that, on purpose.

swtpm_init() {
	SWTPM_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/swtpm.XXXXXX")
	export SWTPM_DIR
	mkdir -p "$SWTPM_DIR/state" "$SWTPM_DIR/ca" "$SWTPM_DIR/snap"
	cat >"$SWTPM_DIR/swtpm_setup.conf" <<-CONF
	create_certs_tool = /usr/bin/swtpm_localca
	create_certs_tool_config = $SWTPM_DIR/swtpm-localca.conf
	create_certs_tool_options = $SWTPM_DIR/swtpm-localca.options
	active_pcr_banks = sha256
	CONF
	cat >"$SWTPM_DIR/swtpm-localca.conf" <<-CONF
	statedir = $SWTPM_DIR/ca
	signingkey = $SWTPM_DIR/ca/signkey.pem
	issuercert = $SWTPM_DIR/ca/issuercert.pem
	certserial = $SWTPM_DIR/ca/certserial
	CONF
	printf '%s\n' '--platform-manufacturer ss-tests' '--platform-version 2.1' \
		'--platform-model swtpm' >"$SWTPM_DIR/swtpm-localca.options"
	TMPDIR="$SWTPM_DIR" swtpm_setup --tpm2 --tpmstate "$SWTPM_DIR/state" --create-ek-cert \
		--ecc --config "$SWTPM_DIR/swtpm_setup.conf" --logfile "$SWTPM_DIR/setup.log" "$@" \
		>/dev/null || { cat "$SWTPM_DIR/setup.log" >&2; return 1; }
	cat "$SWTPM_DIR/ca/swtpm-localca-rootca-cert.pem" "$SWTPM_DIR/ca/issuercert.pem" \
		>"$SWTPM_DIR/ca-bundle.pem"
	export SWTPM_CA_BUNDLE="$SWTPM_DIR/ca-bundle.pem"
	cp -a "$SWTPM_DIR/state" "$SWTPM_DIR/snap/pristine"
	swtpm_start
}

# Two consecutive free loopback ports (server, control).
_swtpm_pick_ports() {
	/usr/bin/python3 - <<-'PY'
	import random, socket
	for _ in range(200):
	    p = random.randrange(20000, 60000, 2)
	    socks = []
	    try:
	        for port in (p, p + 1):
	            s = socket.socket()
	            s.bind(("127.0.0.1", port))
	            socks.append(s)
	        print(p)
	        break
	    except OSError:
	        pass
	    finally:
	        for s in socks:
	            s.close()
	PY
}

_swtpm_env() {
	local port
	port=$(cat "$SWTPM_DIR/port")
	export SWTPM_PORT=$port SWTPM_CTRL=$((port + 1))
	export SS_TCTI="swtpm:host=127.0.0.1,port=$port"
	export TPM2TOOLS_TCTI="$SS_TCTI"
}

swtpm_start() {
	local attempt port i
	for attempt in 1 2 3 4 5; do
		port=$(_swtpm_pick_ports)
		[ -n "$port" ] || continue
		if swtpm socket --tpm2 --tpmstate dir="$SWTPM_DIR/state" \
			--server type=tcp,port="$port",bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear \
			--pid file="$SWTPM_DIR/swtpm.pid" --log file="$SWTPM_DIR/swtpm.log" \
			--daemon 2>>"$SWTPM_DIR/swtpm.log"; then
			echo "$port" >"$SWTPM_DIR/port"
			cp "$SWTPM_DIR/swtpm.pid" "$SWTPM_DIR/pid"
			_swtpm_env
			for i in $(seq 1 100); do
				swtpm_ioctl --tcp "127.0.0.1:$SWTPM_CTRL" -g >/dev/null 2>&1 && return 0
				sleep 0.05
			done
			echo "swtpm on port $port did not answer" >&2
			return 1
		fi
	done
	echo "could not start swtpm (see $SWTPM_DIR/swtpm.log)" >&2
	return 1
}

# Running and not a zombie (a daemon's zombie may wait a while for its reaper).
_pid_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

_swtpm_wait_gone() {
	local pid=$1 i
	for i in $(seq 1 200); do
		_pid_alive "$pid" || return 0
		sleep 0.01
	done
	kill -9 "$pid" 2>/dev/null
	sleep 0.05
	return 0
}

# Orderly stop: TPM2_Shutdown(CLEAR), then swtpm_ioctl -s; by pid if that fails.
swtpm_stop() {
	local pid
	[ -f "$SWTPM_DIR/pid" ] || return 0
	_swtpm_env
	pid=$(cat "$SWTPM_DIR/pid")
	tpm2_shutdown -c >/dev/null 2>&1 || true
	swtpm_ioctl --tcp "127.0.0.1:$SWTPM_CTRL" -s >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	_swtpm_wait_gone "$pid"
	rm -f "$SWTPM_DIR/pid"
}

# Stop without TPM2_Shutdown: the next start has clock.safe = no.
swtpm_crash() {
	local pid
	pid=$(cat "$SWTPM_DIR/pid")
	kill -9 "$pid" 2>/dev/null
	_swtpm_wait_gone "$pid"
	rm -f "$SWTPM_DIR/pid"
}

tpm_snapshot() {
	swtpm_stop
	rm -rf "$SWTPM_DIR/snap/$1"
	cp -a "$SWTPM_DIR/state" "$SWTPM_DIR/snap/$1"
	swtpm_start
}

tpm_restore() {
	swtpm_stop
	rm -rf "$SWTPM_DIR/state"
	cp -a "$SWTPM_DIR/snap/$1" "$SWTPM_DIR/state"
	swtpm_start
}

swtpm_fini() {
	[ -n "${SWTPM_DIR:-}" ] || return 0
	swtpm_stop
	rm -rf "$SWTPM_DIR"
}

# No transient object and no session may outlive a command.
assert_tpm_clean() {
	local t l s
	t=$(tpm2_getcap handles-transient 2>&1) || { echo "getcap: $t" >&2; return 1; }
	l=$(tpm2_getcap handles-loaded-session 2>&1) || { echo "getcap: $l" >&2; return 1; }
	s=$(tpm2_getcap handles-saved-session 2>&1) || { echo "getcap: $s" >&2; return 1; }
	if [ -n "$t$l$s" ]; then
		printf 'TPM not clean:\n transient: %s\n loaded sessions: %s\n saved sessions: %s\n' \
			"$t" "$l" "$s" >&2
		return 1
	fi
}

# tpm_dies_after N CMD...: `run --separate-stderr CMD` against this TPM
# through tests/lib/tpm_fault_proxy.py, which lets N TPM commands through and
# kills the swtpm (SIGKILL) when the next one arrives, leaving it unanswered:
# a TPM that dies in the middle of a command.  N = -1 lets everything
# through.  $TPM_COMMANDS: how many commands went through.  When the swtpm
# was killed, swtpm_start brings it back (clock.safe then reads no).
tpm_dies_after() {
	local n=$1 port proxy i attempt killed
	shift
	for attempt in 1 2 3 4 5; do
		port=$(_swtpm_pick_ports)
		rm -f "$SWTPM_DIR/proxy.out" # the last one's "ready" is not this one's
		"${SS_PYTHON:-/usr/bin/python3}" "$BATS_TEST_DIRNAME/lib/tpm_fault_proxy.py" "$port" \
			"$SWTPM_PORT" "$(cat "$SWTPM_DIR/pid")" "$n" "$SWTPM_DIR/proxy.count" \
			>"$SWTPM_DIR/proxy.out" 2>&1 3>&- &
		proxy=$!
		# Ready, or gone (a port taken meanwhile: try others).
		for i in $(seq 1 1000); do
			grep -q ready "$SWTPM_DIR/proxy.out" 2>/dev/null && break 2
			kill -0 "$proxy" 2>/dev/null || break
			sleep 0.01
		done
		kill "$proxy" 2>/dev/null || true
		wait "$proxy" 2>/dev/null || true
	done
	grep -q ready "$SWTPM_DIR/proxy.out" ||
		{ echo "TPM proxy did not start: $(cat "$SWTPM_DIR/proxy.out")" >&2; return 1; }
	SS_TCTI="swtpm:host=127.0.0.1,port=$port" run --separate-stderr "$@"
	kill "$proxy" 2>/dev/null || true
	wait "$proxy" 2>/dev/null || true
	read -r TPM_COMMANDS killed <"$SWTPM_DIR/proxy.count"
	if [ -n "$killed" ]; then
		_swtpm_wait_gone "$(cat "$SWTPM_DIR/pid")"
		rm -f "$SWTPM_DIR/pid"
		swtpm_start
	fi
}
