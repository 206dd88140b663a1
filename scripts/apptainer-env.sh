#!/usr/bin/env bash
# Make an unprivileged `apptainer` command on this Debian 12 machine (issue 21).
#
# Usage: scripts/apptainer-env.sh DIR        (as root; idempotent: a rerun only refreshes DIR/bin)
#
# Apptainer is packaged only in Debian sid (it needs glibc 2.38), so it runs from a sid root file
# system in DIR/root, made with mmdebstrap from Debian's own packages (about 30 s on this machine;
# the rerun costs nothing). DIR/bin/apptainer is a wrapper that, run as root, enters a private
# mount namespace, binds the host paths parbench uses into the sid root at the same paths,
# pivot_roots into it (not chroot: the kernel refuses to create user namespaces inside a chroot)
# and drops to an ordinary user, so Apptainer runs unprivileged with user namespaces, as on a
# cluster where users are not root. Every step execs, so the wrapper's PID is apptainer's PID.
# See docs/apptainer-here.md for what was verified with it.
set -euo pipefail

APPTAINER_USER=parbench-apptainer
MIRROR=${PARBENCH_APPTAINER_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "apptainer-env: $*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: scripts/apptainer-env.sh DIR (DIR: where the sid root and the wrapper go, e.g. /var/tmp/parbench-apptainer)"
[ "$(id -u)" -eq 0 ] || die "must be run as root (mmdebstrap, useradd and the wrapper's mounts need it); rerun with sudo"
for tool in mmdebstrap unshare setpriv useradd pivot_root mount; do
	command -v "$tool" >/dev/null || die "$tool is missing; install it with: apt-get install mmdebstrap util-linux passwd mount"
done
mkdir -p "$1" || die "cannot create $1; choose a writable directory"
DIR=$(cd "$1" && pwd -P)
ROOT=$DIR/root

make_root() {
	# A rerun keeps a finished root; a half-made one (interrupted run) is made again.
	[ -x "$ROOT/usr/bin/apptainer" ] && [ -x "$ROOT/usr/bin/umount" ] && return 0
	rm -rf "$ROOT.partial"
	# sid's Release file is past its Valid-Until on this machine's clock, hence the aptopt.
	mmdebstrap --variant=apt --include=apptainer,mount \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		sid "$ROOT.partial" "$MIRROR" >"$DIR/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap of Debian sid with apptainer failed (see $DIR/mmdebstrap.log); check that $MIRROR is reachable"
	rm -rf "$ROOT"
	mv "$ROOT.partial" "$ROOT"
}

make_user() {
	# One ordinary user on the host and, with the same uid/gid, in the sid root, whose home
	# (inside the sid root) holds apptainer's cache.
	if ! getent passwd "$APPTAINER_USER" >/dev/null; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$APPTAINER_USER" ||
			die "useradd $APPTAINER_USER failed; create that user by hand"
	fi
	local uid gid home=/home/$APPTAINER_USER
	uid=$(id -u "$APPTAINER_USER")
	gid=$(id -g "$APPTAINER_USER")
	sed -i "/^$APPTAINER_USER:/d" "$ROOT/etc/passwd" "$ROOT/etc/group"
	echo "$APPTAINER_USER:x:$uid:$gid::$home:/usr/sbin/nologin" >>"$ROOT/etc/passwd"
	echo "$APPTAINER_USER:x:$gid:" >>"$ROOT/etc/group"
	mkdir -p "$ROOT$home"
	chown "$uid:$gid" "$ROOT$home"
	chmod 700 "$ROOT$home"
	# apptainer.conf binds /etc/hosts and /etc/localtime into every container, and fails when
	# they are missing; sid's minimal root has neither (localtime: the host's, else an empty UTC).
	[ -e "$ROOT/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$ROOT/etc/hosts"
	[ -e "$ROOT/etc/localtime" ] || cp -L /etc/localtime "$ROOT/etc/localtime" 2>/dev/null ||
		: >"$ROOT/etc/localtime"
}

write_wrapper() {
	mkdir -p "$DIR/bin" "$DIR/libexec"
	cat >"$DIR/bin/apptainer" <<EOF
#!/usr/bin/env bash
# parbench's unprivileged apptainer (written by scripts/apptainer-env.sh; rerun it to refresh).
# Run as root: a private mount namespace, then libexec/apptainer-enter does the rest.
if [ "\$(id -u)" -ne 0 ]; then
	echo "apptainer (parbench wrapper $DIR/bin/apptainer): must be run as root; it drops to $APPTAINER_USER itself" >&2
	exit 126
fi
exec unshare --mount --propagation private -- "$DIR/libexec/apptainer-enter" "\$@"
EOF
	cat >"$DIR/libexec/apptainer-enter" <<EOF
#!/usr/bin/env bash
# Inside the wrapper's private mount namespace: bind, pivot_root, drop to $APPTAINER_USER, exec.
set -euo pipefail
ROOT=$ROOT
EOF
	cat >>"$DIR/libexec/apptainer-enter" <<'EOF'
fail() { echo "apptainer wrapper: $*" >&2; exit 125; }
here=$(pwd -P)
# Paths whose sid copies must stay: binding a host path over them would break sid's apptainer.
protected() {
	case "$1" in
	/ | /usr | /usr/* | /etc | /etc/* | /bin | /bin/* | /sbin | /sbin/* | /lib* | /var | /var/lib | /var/lib/* | /proc* | /sys* | /dev* | /run | /home)
		return 0 ;;
	esac
	return 1
}
bind() { # bind host path $1 at the same path in the sid root (directories or files)
	local p=$1
	[ -e "$p" ] || fail "cannot bind $p: it does not exist (fix PARBENCH_APPTAINER_BIND)"
	if [ -d "$p" ]; then mkdir -p "$ROOT$p"; else mkdir -p "$(dirname "$ROOT$p")"; touch "$ROOT$p"; fi
	mount --rbind "$p" "$ROOT$p" || fail "mount --rbind $p failed"
}
# The self-bind first: pivot_root needs the new root to be a mount point, and binding it before
# the host paths keeps their copies (e.g. /var/tmp holding DIR itself) free of proc, sys and dev.
mount --bind "$ROOT" "$ROOT"
under_base() { case "$1" in /work | /work/* | /tmp | /tmp/* | /var/tmp | /var/tmp/*) return 0 ;; esac; return 1; }
binds=(/work /tmp /var/tmp)
IFS=: read -r -a extra <<<"${PARBENCH_APPTAINER_BIND:-}"
for p in "${extra[@]}"; do
	[ -n "$p" ] || continue
	case "$p" in /*) ;; *) fail "PARBENCH_APPTAINER_BIND entry '$p' is not an absolute path" ;; esac
	protected "$p" && fail "PARBENCH_APPTAINER_BIND entry '$p' would hide the sid root's own $p; bind another folder"
	under_base "$p" || binds+=("$p")
done
protected "$here" || under_base "$here" || binds+=("$here")
for p in "${binds[@]}"; do bind "$p"; done
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
mkdir -p "$ROOT/.oldroot"
cd "$ROOT"
pivot_root . .oldroot || fail "pivot_root into $ROOT failed"
umount -l /.oldroot
user=parbench-apptainer
# parbench runs as root here while apptainer runs as $user; on a cluster the two are one user.
# So a build's destination folder (the last but one argument) is handed to $user, and the
# docker archive it reads (root-only as docker save writes it) is made readable.
if [ "${1:-}" = build ] && [ $# -ge 3 ]; then
	dest=${*: -2:1}
	source=${*: -1}
	case "$dest" in /*) ;; *) dest=$here/$dest ;; esac
	mkdir -p "$(dirname "$dest")" && chown "$user:$user" "$(dirname "$dest")"
	case "$source" in docker-archive://*)
		archive=${source#docker-archive://}
		case "$archive" in /*) ;; *) archive=$here/$archive ;; esac
		chmod a+r "$archive" 2>/dev/null || true
		;;
	esac
fi
# Start where the caller is, if the ordinary user may enter it (root's home, say, it may not):
# apptainer refuses to start in a folder it cannot enter, so such a caller starts at /.
if setpriv --reuid "$user" --regid "$user" --init-groups -- sh -c 'cd "$1"' sh "$here" 2>/dev/null; then
	cd "$here"
else
	cd /
fi
exec env HOME="/home/$user" USER="$user" LOGNAME="$user" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all \
	-- /usr/bin/apptainer "$@"
EOF
	chmod 755 "$DIR/bin/apptainer" "$DIR/libexec/apptainer-enter"
}

make_root
make_user
write_wrapper
"$DIR/bin/apptainer" --version >/dev/null || die "the wrapper $DIR/bin/apptainer does not run apptainer; see the line above"
echo "apptainer-env: ready in $DIR ($("$DIR/bin/apptainer" --version)); use it with:"
echo "export PATH=$DIR/bin:\$PATH"
