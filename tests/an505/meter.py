# SPDX-License-Identifier: Apache-2.0
"""The emulated meter for tests, benchmarks and the demo: a flash file, the
signed images, and runs of QEMU mps2-an505 (optionally under gdb).

A Meter owns one directory: its flash file (the PSRAM QEMU maps, so state
survives every run), its keys, and the console logs of the last run. Images
are the test images of firmware/ signed with `meterseal sign` as a vendor
would sign them; the flash file is prepared with `meterseal-an505` as a
factory programmer would.
"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HDR_SIZE = 0x400
SLOT_SIZE = 0x40000
S_EXEC = 0x10020000
NS_EXEC = 0x00060000
FLASH_SIZE = 16 * 1024 * 1024
SLOT_OFF = {"s-primary": 0x000000, "s-secondary": 0x040000,
            "ns-primary": 0x080000, "ns-secondary": 0x0C0000}

EXIT_REFUSED = 2
EXIT_FAULT = 3

# Which pair of images a meter runs: the boot chain's test images, or the
# TEE and the Non-secure RTOS with the metering application.
IMAGES = {
    "test": {"s": "firmware/secure/secure_test.bin", "ns": "firmware/nonsecure/nonsecure_test.bin"},
    "tee": {"s": "firmware/secure/secure_tee.bin", "ns": "firmware/nonsecure/nonsecure_app.bin"},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """What one run of the meter left behind."""

    def __init__(self, rc, console, ns_console):
        self.rc = rc                  # QEMU's exit status (semihosting exit code)
        self.console = console        # UART0: boot loader and Secure world
        self.ns_console = ns_console  # UART2: the Non-secure world

    @property
    def ns_version_minor(self):
        """Which Non-secure test image ran (it exits with 100 + minor)."""
        return self.rc - 100 if 100 <= self.rc < 200 else None

    def events(self, kind):
        return re.findall(r"^boot: %s image=(\d+)(?: err=(\S+))? value=(\S+)" % re.escape(kind),
                          self.console, re.M)

    def refused_with(self):
        m = re.search(r"^boot: refused err=(\S+)", self.console, re.M)
        return m.group(1) if m else None

    def secure_version(self):
        m = re.search(r"^secure: running, secure image version=(\S+)", self.console, re.M)
        return m.group(1) if m else None

    def flash_ops(self):
        m = re.search(r"^boot: flash-ops=(\d+)", self.console, re.M)
        return int(m.group(1)) if m else None

    def __str__(self):
        return "rc=%d\n--- console\n%s--- non-secure console\n%s" % (
            self.rc, self.console, self.ns_console)


class Meter:
    def __init__(self, host_build, fw_build, workdir=None, images="test"):
        self.images = images
        self.host = host_build
        self.fw = fw_build
        self.dir = workdir or tempfile.mkdtemp(prefix="ms-an505-")
        os.makedirs(self.dir, exist_ok=True)
        self.flash = os.path.join(self.dir, "flash.bin")
        self.meterseal = os.path.join(host_build, "tools/meterseal/meterseal")
        self.flashtool = os.path.join(host_build, "tools/meterseal-an505/meterseal-an505")
        # A private copy: a rebuild during a long run must not change it.
        self.bootloader = self.path("bootloader.elf")
        shutil.copyfile(os.path.join(fw_build, "firmware/bootloader/bootloader.elf"),
                        self.bootloader)
        self.key = self.path("vendor.pem")
        # QEMU's working directory: what semihosting opens by a relative
        # name. Only the test bench's download is there, not the flash file.
        self.bench = self.path("bench")
        os.makedirs(self.bench, exist_ok=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- tools -------------------------------------------------------------

    def tool(self, *args, check=True):
        p = subprocess.run(list(args), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def keygen(self, path):
        if not os.path.exists(path):
            self.tool(self.meterseal, "keygen", "-k", path)
        return path

    def sign(self, which, version, seccnt, out=None, key=None, extra=()):
        """Sign the Secure ("s") or Non-secure ("ns") test image."""
        binary = os.path.join(self.fw, IMAGES[self.images][which])
        out = out or self.path("%s-%s-%d.img" % (which, version, seccnt))
        self.tool(self.meterseal, "sign", "-k", key or self.key, "-v", version,
                  "--header-size", hex(HDR_SIZE), "--pad-header", "--align", "8",
                  "--slot-size", hex(SLOT_SIZE), "--public-key-format", "full",
                  "--load-addr", hex(S_EXEC if which == "s" else NS_EXEC),
                  "-s", str(seccnt), *extra, binary, out)
        return out

    def factory(self, strategy="swap", version="1.0.0", seccnt=1, huk=False):
        """A blank meter: erased flash, the vendor key's hash in OTP, v1 images
        (and a random hardware unique key, which the TEE needs)."""
        self.keygen(self.key)
        self.tool(self.flashtool, "init", self.flash, "--force")
        args = ["--rot-key", self.key] + (["--huk-random"] if huk else [])
        if strategy != "swap":
            args += ["--update", strategy]
        self.tool(self.flashtool, "otp", self.flash, *args)
        self.write("s-primary", self.sign("s", version, seccnt))
        self.write("ns-primary", self.sign("ns", version, seccnt))

    def write(self, slot, image):
        self.tool(self.flashtool, "write", self.flash, "--slot", slot, image)

    def stage(self, which, image, permanent=False):
        """Put an update in the secondary slot and mark it pending."""
        self.write("%s-secondary" % which, image)
        self.tool(self.flashtool, "pending", self.flash, "--image", which,
                  *(["--permanent"] if permanent else []))

    def download(self, which, image, offered=None):
        """Leave an update for the Non-secure application to stage through
        the TEE (firmware/nonsecure/update.h): offer.bin names the image and
        the SHA-256 the cloud would offer (of `offered`, default the image
        itself), download.bin holds the bytes the meter receives."""
        with open(image, "rb") as f:
            data = f.read()
        with open(offered or image, "rb") as f:
            digest = hashlib.sha256(f.read()).digest()
        with open(os.path.join(self.bench, "offer.bin"), "wb") as f:
            f.write(bytes([0 if which == "s" else 1]) + digest)
        with open(os.path.join(self.bench, "download.bin"), "wb") as f:
            f.write(data)

    def confirm(self, which):
        self.tool(self.flashtool, "confirm", self.flash, "--image", which)

    def show(self):
        return self.tool(self.flashtool, "show", self.flash).stdout

    def patch(self, offset, data):
        """Write raw bytes into the flash file (an attacker with a probe)."""
        with open(self.flash, "r+b") as f:
            f.seek(offset)
            f.write(data)

    def read(self, offset, n):
        with open(self.flash, "rb") as f:
            f.seek(offset)
            return f.read(n)

    # ---- QEMU ----------------------------------------------------------------

    def qemu_cmd(self, gdb_port=None, icount=False, plugin=None, args=(), uart1="null"):
        cmd = ["qemu-system-arm", "-machine", "mps2-an505", "-cpu", "cortex-m33", "-m", "16M",
               "-object", "memory-backend-file,id=flash,size=16M,mem-path=%s,share=on" % self.flash,
               "-machine", "memory-backend=flash",
               "-kernel", self.bootloader,
               "-display", "none", "-monitor", "none",
               "-semihosting-config", ",".join(["enable=on,target=native"] +
                                               ["arg=%s" % a for a in args]),
               "-serial", "file:%s" % self.path("uart0.log"),
               "-serial", uart1,
               "-serial", "file:%s" % self.path("uart2.log")]
        if icount:
            cmd += ["-icount", "shift=0"]
        if plugin:
            cmd += ["-plugin", plugin]
        if gdb_port:
            cmd += ["-S", "-gdb", "tcp:127.0.0.1:%d" % gdb_port]
        return cmd

    def _logs(self):
        out = []
        for n in ("uart0.log", "uart2.log"):
            try:
                with open(self.path(n), errors="replace") as f:
                    out.append(f.read().replace("\r\n", "\n"))
            except FileNotFoundError:
                out.append("")
        return out

    def run(self, timeout=20, icount=False, plugin=None, args=()):
        """Power on, run until the firmware ends the run (semihosting exit).
        args: the semihosting command line (the Non-secure app's scenario).
        A run that does not end within timeout is a hang: rc -1."""
        return self.finish(self.start(args=args, icount=icount, plugin=plugin), timeout=timeout)

    def start(self, args=(), uart1="null", icount=False, plugin=None, gdb_port=None):
        """Power on in the background (uart1: the modem UART's QEMU chardev,
        e.g. a TCP server the test connects to); finish() waits for the end."""
        for n in ("uart0.log", "uart2.log"):
            if os.path.exists(self.path(n)):
                os.remove(self.path(n))
        # In the bench directory: semihosting opens its files there.
        cmd = self.qemu_cmd(gdb_port=gdb_port, icount=icount, plugin=plugin, args=args,
                            uart1=uart1)
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=self.bench)

    def finish(self, proc, timeout=60):
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = -1
        return Run(rc, *self._logs())

    def tee_symbol(self, name):
        """The address of a function or object of the TEE image."""
        elf = os.path.join(self.fw, "firmware/secure/secure_tee.elf")
        out = subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True,
                             check=True).stdout
        return int(re.search(r"^([0-9a-f]+) [TtBbDd] %s$" % re.escape(name), out, re.M).group(1), 16)

    def run_gdb(self, commands, timeout=60, args=(), icount=False):
        """Run with QEMU halted at reset under gdb-multiarch, which executes
        `commands` (a list of gdb command lines) against the boot loader's
        symbols; args and icount as for run() (icount: the meter's clock
        stands still while gdb holds it, so its interrupts do not pile up
        behind a breakpoint). Returns (Run, gdb stdout)."""
        port = free_port()
        q = self.start(args=args, gdb_port=port, icount=icount)
        script = self.path("gdb.cmd")
        with open(script, "w") as f:
            f.write("set pagination off\nset confirm off\n")
            f.write("target remote 127.0.0.1:%d\n" % port)
            f.write("\n".join(commands) + "\n")
        gdb_out = ""
        try:
            g = subprocess.run(["gdb-multiarch", "-batch", "-nx", "-x", script, self.bootloader],
                               capture_output=True, text=True, timeout=timeout)
            gdb_out = g.stdout + g.stderr
            rc = q.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = -1
        finally:
            if q.poll() is None:
                q.kill()
                q.wait()
        return Run(rc, *self._logs()), gdb_out


def wait_port(port, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.02)
    return False


# ---- the tests' common frame ------------------------------------------------------------------

def expect(cond, what, run=None):
    if not cond:
        raise AssertionError(what + ("\n" + str(run) if run is not None else ""))


class Cases(dict):
    """A test script's named cases: `case = Cases()`, `@case def name(m): ...`,
    and `sys.exit(case.main())` runs the one named on the command line
    (HOST_BUILD FIRMWARE_BUILD CASE) on a fresh meter; a failed case keeps
    the meter's directory for a look."""

    def __call__(self, fn):
        self[fn.__name__] = fn
        return fn

    def main(self, setup=None, **meter_args):
        script = os.path.basename(sys.argv[0])
        if len(sys.argv) != 4 or sys.argv[3] not in self:
            print("usage: %s HOST_BUILD FIRMWARE_BUILD CASE\ncases: %s"
                  % (script, " ".join(sorted(self))), file=sys.stderr)
            return 2
        m = Meter(sys.argv[1], sys.argv[2], **meter_args)
        try:
            if setup is not None:
                setup(m)
            self[sys.argv[3]](m)
        except AssertionError as e:
            print("FAIL: %s" % e)
            print("(meter directory kept: %s)" % m.dir)
            return 1
        m.cleanup()
        print("ok")
        return 0
