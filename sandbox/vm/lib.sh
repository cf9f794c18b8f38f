# Shared by the in-VM scenarios. Output reaches the host through the serial log, so every line the host should
# show carries a prefix: PT-SAY (demo narration) or PT-TAP (test results).

say() { printf 'PT-SAY: %s\n' "$*"; }
show() {
	printf 'PT-SAY: $ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/PT-SAY: /'
}

# The device behind a bridge, by the bridge's address (bus numbers are the kernel's choice).
child_of() {
	ptctl list --all --json | jq -r --arg p "$1" '[.[] | select(.parent_bridge == $p)][0].address // empty'
}

# Polls a command until it succeeds (about 10 s; PT_EVENTUALLY_TRIES times 50 ms).
eventually() {
	i=0
	until "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt "${PT_EVENTUALLY_TRIES:-200}" ] && return 1
		sleep 0.05
	done
}

json_field() {
	ptctl show "$1" --json | jq -r ".$2"
}

# TAP: "check DESCRIPTION COMMAND..." runs the command with its output captured, which is shown only on failure.
n=0
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@" > /tmp/check.out 2>&1; then
		echo "PT-TAP: ok $n - $desc"
	else
		echo "PT-TAP: not ok $n - $desc"
		sed 's/^/PT-TAP: #   /' /tmp/check.out
	fi
}
