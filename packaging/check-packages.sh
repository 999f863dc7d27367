#!/usr/bin/env bash
# Checks the .deb and .rpm packages of a snapshot release (make release-check): each installs the
# binary, the systemd user unit and the autostart entry (exactly packaging/'s files) and the icon;
# the .deb runs the scripts; the packaged binary runs and says its version. The macOS archives
# hold a 64-bit Mach-O binary for their CPU, with the menu-bar tray linked in.
set -euo pipefail
dist=${1:-dist}
cd "$(dirname "$0")/.."
fail() { echo "check-packages: $*" >&2; exit 1; }
want=(
	./usr/bin/spotwatch
	./usr/lib/systemd/user/spotwatch.service
	./etc/xdg/autostart/spotwatch.desktop
	./usr/share/icons/hicolor/64x64/apps/spotwatch.png
	./usr/share/doc/spotwatch/config.example.yaml
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob
debs=("$dist"/*.deb)
rpms=("$dist"/*.rpm)
[ ${#debs[@]} -eq 2 ] || fail "want 2 .deb packages (amd64, arm64) in $dist, found ${#debs[@]}"
[ ${#rpms[@]} -eq 2 ] || fail "want 2 .rpm packages (amd64, arm64) in $dist, found ${#rpms[@]}"

for deb in "${debs[@]}"; do
	list=$(dpkg-deb -c "$deb" | awk '{print $6}')
	for f in "${want[@]}"; do
		grep -qx -- "$f" <<<"$list" || fail "$deb does not install ${f#.}"
	done
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/user/spotwatch.service | diff -u packaging/spotwatch.service - ||
		fail "$deb: the user unit differs from packaging/spotwatch.service"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/xdg/autostart/spotwatch.desktop | diff -u packaging/spotwatch.desktop - ||
		fail "$deb: the autostart entry differs from packaging/spotwatch.desktop"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/icons/hicolor/64x64/apps/spotwatch.png | cmp -s tray/icons/png/ok-64.png - ||
		fail "$deb: the icon differs from tray/icons/png/ok-64.png"
	ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
	for s in postinst prerm conffiles; do
		grep -qx "./$s" <<<"$ctrl" || fail "$deb has no $s"
	done
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst | grep -q 'systemctl --global enable spotwatch.service' ||
		fail "$deb: postinst does not enable the user unit"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/xdg/autostart/spotwatch.desktop ||
		fail "$deb: the autostart entry is not a conffile"
	echo "ok $deb"
done

for rpm in "${rpms[@]}"; do
	# Debian's rpm2cpio 4.18 exits 1 after writing a complete archive: cpio judges the archive.
	rpm2cpio "$rpm" >"$tmp/pkg.cpio" || true
	list=$(cpio -it --quiet <"$tmp/pkg.cpio")
	for f in "${want[@]}"; do
		grep -qx -- "${f#.}" <<<"$list" || fail "$rpm does not install ${f#.}"
	done
	rm -rf "$tmp/usr"
	(cd "$tmp" && cpio -idmu --quiet --no-absolute-filenames '*/spotwatch.service' <pkg.cpio 2>/dev/null)
	diff -u packaging/spotwatch.service "$tmp/usr/lib/systemd/user/spotwatch.service" ||
		fail "$rpm: the user unit differs from packaging/spotwatch.service"
	echo "ok $rpm"
done

# The macOS archives: the binary for each CPU (the Mach-O 64-bit magic, then the CPU type:
# CPU_TYPE_ARM64 0x0100000c, CPU_TYPE_X86_64 0x01000007, little-endian), built with the Cocoa
# tray (its Objective-C messages are in the binary), and the docs beside it.
for arch in arm64 amd64; do
	tgz=("$dist"/*_darwin_"$arch".tar.gz)
	[ ${#tgz[@]} -eq 1 ] || fail "want 1 macOS $arch archive in $dist, found ${#tgz[@]}"
	list=$(tar -tzf "${tgz[0]}")
	for f in spotwatch README.md LICENSE config.example.yaml; do
		grep -qx -- "$f" <<<"$list" || fail "${tgz[0]} has no $f"
	done
	tar -xzf "${tgz[0]}" -O spotwatch >"$tmp/spotwatch-darwin"
	case $arch in
	arm64) want_head=cffaedfe0c000001 ;;
	amd64) want_head=cffaedfe07000001 ;;
	esac
	head=$(od -An -tx1 -N8 "$tmp/spotwatch-darwin" | tr -d ' \n')
	[ "$head" = "$want_head" ] || fail "${tgz[0]}: spotwatch is not a 64-bit Mach-O for $arch (header $head)"
	grep -q 'statusItemWithLength:' "$tmp/spotwatch-darwin" || fail "${tgz[0]}: the binary has no menu-bar tray"
	echo "ok ${tgz[0]}"
done

# The packaged binary for this machine runs.
arch=$(dpkg --print-architecture)
deb=$(printf '%s\n' "${debs[@]}" | grep "_${arch}.deb$") || fail "no .deb for $arch"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/spotwatch >"$tmp/spotwatch"
chmod +x "$tmp/spotwatch"
"$tmp/spotwatch" version | grep -q '^spotwatch [0-9]' || fail "the packaged binary does not say its version"
echo "ok $("$tmp/spotwatch" version)"

# Install and remove the .deb for real, in a mount namespace with overlays over /etc, /usr and
# /var so that nothing reaches this machine; the scripts run (systemctl may be absent).
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	unshare --mount --propagation private bash -euo pipefail -c '
		tmp=$1 deb=$2
		mount -t tmpfs tmpfs "$tmp"
		for d in /etc /usr /var; do
			mkdir -p "$tmp/u$d" "$tmp/w$d"
			mount -t overlay overlay -o "lowerdir=$d,upperdir=$tmp/u$d,workdir=$tmp/w$d" "$d"
		done
		dpkg -i "$deb" >/dev/null
		for f in /usr/bin/spotwatch /usr/lib/systemd/user/spotwatch.service /etc/xdg/autostart/spotwatch.desktop /usr/share/icons/hicolor/64x64/apps/spotwatch.png; do
			[ -e "$f" ] || { echo "dpkg -i did not install $f" >&2; exit 1; }
		done
		/usr/bin/spotwatch version >/dev/null
		dpkg -r spotwatch >/dev/null
		for f in /usr/bin/spotwatch /usr/lib/systemd/user/spotwatch.service; do
			[ ! -e "$f" ] || { echo "dpkg -r left $f" >&2; exit 1; }
		done
	' check "$tmp" "$(realpath "$deb")" || fail "installing and removing $deb failed"
	echo "ok dpkg -i and dpkg -r $deb"
fi
