#!/usr/bin/env bash
# Configure a freshly debootstrapped Debian 12 or 13 root so it boots under QEMU and
# can capture a crash dump (docs/e2e.md; the gotchas are those measured in
# ../shared/reference/vm-e2e-notes.md §3).  Runs on the host, as root:
#
#   tests/e2e/guest/configure.sh ROOT
#   GUEST_ARCH=arm64 tests/e2e/guest/configure.sh ROOT   (a root of another architecture)
#
# Everything that runs inside the root goes through `chroot` with only /proc
# mounted, inside a private mount namespace (`unshare -m`), so nothing leaks
# onto the host even when a step fails half-way.  The kdumpwiz installation is
# NOT done here: this script's result is cached (keyed on the package list and
# GUEST_VERSION in tests/e2e/run), kdumpwiz changes with every working tree.
set -euo pipefail

ROOT=${1:?usage: configure.sh ROOT}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$ROOT/usr/sbin/kdump-config" ] || { echo "configure.sh: $ROOT is not a kdump-tools guest root" >&2; exit 2; }

KVER=$(basename "$(ls -d "$ROOT"/lib/modules/*/ | sort -V | tail -n 1)")
echo "configure.sh: guest kernel $KVER"

GUEST_ARCH=${GUEST_ARCH:-amd64}
# Run a command in the root with /proc and /dev mounted; the mounts vanish with
# the private namespace when the command ends.  A root of another architecture
# runs under qemu-user, registered in a private binfmt_misc (foreign-chroot).
in_root() {
    if [ "$GUEST_ARCH" != amd64 ]; then
        timeout --kill-after=10 1200 "$HERE/../foreign-chroot" "$ROOT" "$@"
        return
    fi
    timeout --kill-after=10 600 unshare --mount --propagation private sh -c '
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
    ' in_root "$ROOT" "$@"
}

# --- identity, disk, console -------------------------------------------------
echo kdumptest > "$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 kdumptest\n' > "$ROOT/etc/hosts"
# No partition table: the image is one ext4 filesystem on the virtio disk.
echo '/dev/vda / ext4 rw,relatime 0 1' > "$ROOT/etc/fstab"
# Root without a password on the serial console helps debugging a failed run
# by hand (the VM has no network).
in_root passwd -d root >/dev/null

# --- small initrds that do not depend on the build host (notes §3.1) ---------
# MODULES=dep would inspect the *build host's* root device.  conf.d is read
# after initramfs.conf, so this also reaches kdump-tools' copy, which forces
# MODULES=dep in its own initramfs.conf.  zstd is not in minbase: use gzip.
mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' > "$ROOT/etc/initramfs-tools/conf.d/kdumpwiz-e2e.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >> "$ROOT/etc/initramfs-tools/modules"
# QEMU's arm64 virt machine: its virtio devices may sit on virtio-mmio as well as PCI.
[ "$GUEST_ARCH" = amd64 ] || printf 'virtio_mmio\n' >> "$ROOT/etc/initramfs-tools/modules"
in_root update-initramfs -u -k "$KVER"

# --- kdump-tools: capture initrd built now, not at the first boot -------------
# debootstrap configured the kernel before kdump-tools was installed, so its
# kernel hook never ran (notes §3.2).
sed -i 's/^USE_KDUMP=.*/USE_KDUMP=1/' "$ROOT/etc/default/kdump-tools"
# Debian 13's hook skips the build when `ischroot` says it runs in a chroot ("leave it to the
# target system"): that would make the first boot build it under TCG. A stand-in that says
# "not a chroot" exists for this one call only.
mkdir -p "$ROOT/tmp/kdumpwiz-e2e-bin"
printf '#!/bin/sh\nexit 1\n' > "$ROOT/tmp/kdumpwiz-e2e-bin/ischroot"
chmod 0755 "$ROOT/tmp/kdumpwiz-e2e-bin/ischroot"
in_root sh -c 'PATH=/tmp/kdumpwiz-e2e-bin:$PATH exec /etc/kernel/postinst.d/kdump-tools "$1"' hook "$KVER"
rm -rf "$ROOT/tmp/kdumpwiz-e2e-bin"
[ -s "$ROOT/var/lib/kdump/initrd.img-$KVER" ] || { echo "configure.sh: no kdump initrd was built" >&2; exit 1; }
# `kdump-config symlinks` uses uname -r, the host's kernel inside a chroot.
ln -sfn "/boot/vmlinuz-$KVER" "$ROOT/var/lib/kdump/vmlinuz"
ln -sfn "/var/lib/kdump/initrd.img-$KVER" "$ROOT/var/lib/kdump/initrd.img"
# Without this the first `kdump-config load` sees a "sysctl change" and rebuilds
# the capture initrd at boot, which is slow under TCG (notes §3.3).
cp "$ROOT/etc/kdump/sysctl.conf" "$ROOT/var/lib/kdump/latest_sysctls-$KVER"
# kexec-tools' default turns a normal reboot into a kexec (notes §3.4).
if [ -f "$ROOT/etc/default/kexec" ]; then
    sed -i 's/^LOAD_KEXEC=.*/LOAD_KEXEC=false/' "$ROOT/etc/default/kexec"
else
    echo 'LOAD_KEXEC=false' > "$ROOT/etc/default/kexec"
fi

# --- GRUB's configuration tools, so kdumpwiz's real update-grub has work -----
# grub-pc's postinst would create /etc/default/grub from this template; we do
# not install grub-pc (no boot loader is installed: QEMU boots the kernel
# directly with the arguments the generated grub.cfg holds).
if [ ! -f "$ROOT/etc/default/grub" ]; then
    cp "$ROOT/usr/share/grub/default/grub" "$ROOT/etc/default/grub"
fi
mkdir -p "$ROOT/boot/grub"
# A first grub.cfg, so the guest's update-grub regenerates an existing file as
# on a real machine.  In the chroot grub-probe would probe the build host's
# disk: a stub stands in for it during this one run only.
mv "$ROOT/usr/sbin/grub-probe" "$ROOT/usr/sbin/grub-probe.kdumpwiz-e2e-real"
install -m 0755 "$HERE/grub-probe-stub" "$ROOT/usr/sbin/grub-probe"
rc=0
in_root update-grub || rc=$?
mv -f "$ROOT/usr/sbin/grub-probe.kdumpwiz-e2e-real" "$ROOT/usr/sbin/grub-probe"
[ "$rc" = 0 ] || { echo "configure.sh: update-grub in the chroot failed (rc $rc)" >&2; exit 1; }

# --- the test unit ------------------------------------------------------------
install -m 0755 "$HERE/kdumpwiz-e2e-step" "$ROOT/usr/local/sbin/kdumpwiz-e2e-step"
install -m 0644 "$HERE/kdumpwiz-e2e.service" "$ROOT/etc/systemd/system/kdumpwiz-e2e.service"
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sfn /etc/systemd/system/kdumpwiz-e2e.service "$ROOT/etc/systemd/system/multi-user.target.wants/kdumpwiz-e2e.service"

# --- quiet, fast boots (notes §3.6) -------------------------------------------
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
            e2scrub_reap.service systemd-timesyncd.service; do
    ln -sfn /dev/null "$ROOT/etc/systemd/system/$unit"
done

in_root apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin
echo "configure.sh: done"
