# SPDX-License-Identifier: MIT
"""Start a real compositor (weston or sway) headless, for tests.

    from compositors import Compositor

    with Compositor("sway", workdir, sealshm_run=path) as comp:
        comp.run_client(["wayland-info"], timeout=10, check=True)
        assert comp.alive() and not comp.sigbus_caught()

Each Compositor gets its own directory (.dir) under workdir, holding its
HOME, its config and its log (stdout and stderr together), and its own
XDG_RUNTIME_DIR (mode 0700, owned by whoever runs the compositor) under
/tmp, short enough for socket paths.  When sway's user cannot reach
workdir, .dir is made under /tmp instead.  weston runs
with the headless backend and the pixman renderer, so it reads every pixel
clients send; sway with wlroots' headless backend and pixman renderer.
sway refuses to run as root: when this process is root, sway runs as the
unprivileged user "nobody" (or "sealshm-test", created when nobody does
not exist), started through setpriv, which execs, as sealshm-run does: the
pid watched is the compositor's own.

With sealshm_run, the compositor is started through it (sealshm-run
[--policy P] [--log L] -- COMPOSITOR ARGS...), and start() checks that
libsealshm-wl-shm is really mapped into the compositor: ld.so silently
ignores a preloaded library its user cannot read, which would leave the
compositor unprotected while the tests believe it is protected.  Without
sealshm_run, start() checks that the library is not mapped.

Python 3 standard library only: the benchmarks reuse this module.
"""

import errno
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

KINDS = ("weston", "sway")

# No bar, no background, no Xwayland: sway spawns nothing of its own.
SWAY_CONFIG = """\
# sway config of tools/compositors.py: a bare headless session
xwayland disable
default_border none
focus_follows_mouse no
"""

# desktop-shell without its panel (whose clock redraws, in a new pool,
# every minute), animations or screen lock: the compositor's state only
# changes when test clients do something.
WESTON_CONFIG = """\
# weston.ini of tools/compositors.py: a quiet headless session
[shell]
panel-position=none
locking=false
animation=none
close-animation=none
startup-animation=none
focus-animation=none
"""

SHIM_NAME = "libsealshm-wl-shm"
SHIM_FILE = "libsealshm-wl-shm.so.0"
# sway's user when this process is root; created when missing
UNPRIVILEGED_USERS = ("nobody", "sealshm-test")

_WAYLAND_SOCKET = re.compile(r"^wayland-\d+$")


class CompositorError(RuntimeError):
    """The compositor did not start, or started without the protection
    asked for."""


def _unprivileged_user():
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    subprocess.run(["useradd", "--system", "--no-create-home",
                    "--shell", "/usr/sbin/nologin", UNPRIVILEGED_USERS[-1]],
                   check=True, stdin=subprocess.DEVNULL,
                   capture_output=True)
    return pwd.getpwnam(UNPRIVILEGED_USERS[-1])


def _as_user(user):
    """The argv prefix that runs a program as @user, through exec."""
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
            "--init-groups"]


def _chown_tree(path, user):
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def _ldd_problem(prefix, lib):
    """Why @lib cannot be loaded by the user @prefix runs as, or None."""
    run = subprocess.run(prefix + ["ldd", lib], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True)
    text = run.stdout + run.stderr
    if run.returncode != 0 or "not found" in text:
        return text.strip() or f"ldd exited with {run.returncode}"
    check = subprocess.run(prefix + ["test", "-r", lib],
                           stdin=subprocess.DEVNULL)
    if check.returncode != 0:
        return f"{lib} is not readable"
    return None


def _copy_build_libraries(sealshm_run, dest):
    """Copy sealshm-run, the shim next to it and the shim's libraries from
    the same build tree into @dest, keeping their paths relative to the
    build tree (so a $ORIGIN run path still finds them).  Returns the
    copied sealshm-run."""
    compat_dir = os.path.dirname(os.path.realpath(sealshm_run))
    build_dir = os.path.dirname(compat_dir)
    lib = os.path.join(compat_dir, SHIM_FILE)
    copies = [os.path.realpath(sealshm_run), lib]
    ldd = subprocess.run(["ldd", lib], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, check=True)
    for line in ldd.stdout.splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and parts[1].split():
            path = os.path.realpath(parts[1].split()[0])
            if path.startswith(build_dir + os.sep):
                copies.append(path)
    for path in copies:
        target = os.path.join(dest, os.path.relpath(path, build_dir))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(path, target)
        os.chmod(target, 0o755)
        # The soname link the dynamic loader looks for.
        soname = os.path.basename(path)
        match = re.match(r"^(.*\.so\.\d+)\.", soname)
        if match:
            link = os.path.join(os.path.dirname(target), match.group(1))
            if not os.path.exists(link):
                os.symlink(soname, link)
    os.chmod(dest, 0o755)
    for root, dirs, files in os.walk(dest):
        os.chmod(root, 0o755)
    return os.path.join(dest, os.path.relpath(os.path.realpath(sealshm_run),
                                              build_dir))


class Compositor:
    """A headless weston or sway; a context manager that starts it on entry
    (when not started yet) and stops it on exit."""

    def __init__(self, kind, workdir, sealshm_run=None, policy=None,
                 log=None, extra_env=None, config=None, extra_args=None,
                 width=1024, height=640):
        """kind: "weston" or "sway".  sealshm_run: the path of sealshm-run
        (None: run without the shim); policy and log: its --policy and
        --log.  extra_env: added to the compositor's environment.
        config: the whole text of weston.ini (default: WESTON_CONFIG) or
        of sway's config (default: SWAY_CONFIG).  extra_args: more
        compositor arguments (weston --debug for weston-screenshooter).
        width, height: weston's output size (sway's headless output is
        always wlroots' default 1280x720)."""
        if kind not in KINDS:
            raise ValueError(f"unknown compositor kind {kind!r}: "
                             f"use one of {', '.join(KINDS)}")
        if sealshm_run is None and (policy or log):
            raise ValueError("policy and log need sealshm_run")
        self.kind = kind
        self.sealshm_run = sealshm_run and os.path.abspath(sealshm_run)
        self.policy = policy
        self.log = log
        self.extra_env = dict(extra_env or {})
        self.config = config
        self.extra_args = list(extra_args or [])
        self.width = width
        self.height = height

        os.makedirs(workdir, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix=f"{kind}-", dir=workdir)
        os.chmod(self.dir, 0o755)
        # Sockets live in the runtime dir, and a socket path has at most
        # 107 bytes (sway 1.7 crashes on a longer one): a short one in
        # /tmp, removed by stop().
        self.runtime_dir = tempfile.mkdtemp(prefix="sealshm-rt-")
        self.home = os.path.join(self.dir, "home")
        self.log_path = os.path.join(self.dir, "compositor.log")
        os.mkdir(self.home, 0o755)

        self.user = None
        if kind == "sway" and os.geteuid() == 0:
            self.user = _unprivileged_user()
            _chown_tree(self.runtime_dir, self.user)
            if not self._user_reaches(self.dir):
                # A workdir under /root, say: sway's user could not read
                # its config.  Use one in /tmp instead.
                shutil.rmtree(self.dir)
                self.dir = tempfile.mkdtemp(prefix=f"sealshm-{kind}-")
                os.chmod(self.dir, 0o755)
                self.home = os.path.join(self.dir, "home")
                self.log_path = os.path.join(self.dir, "compositor.log")
                os.mkdir(self.home, 0o755)
            _chown_tree(self.dir, self.user)

        self.socket = None
        self.proc = None
        self.pid = None
        self._log_file = None
        self._clients = []

    # --- starting and stopping ---

    def _user_prefix(self):
        return _as_user(self.user) if self.user else []

    def _user_reaches(self, path):
        return subprocess.run(self._user_prefix() + ["test", "-x", path],
                              stdin=subprocess.DEVNULL).returncode == 0

    def _compositor_argv(self):
        if self.kind == "weston":
            self.socket = "wayland-sealshm"
            argv = ["weston", "--backend=headless-backend.so",
                    "--use-pixman", f"--socket={self.socket}",
                    "--idle-time=0", f"--width={self.width}",
                    f"--height={self.height}"]
            path = os.path.join(self.dir, "weston.ini")
            with open(path, "w") as f:
                f.write(WESTON_CONFIG if self.config is None
                        else self.config)
            argv.append(f"--config={path}")
        else:
            path = os.path.join(self.dir, "sway.config")
            with open(path, "w") as f:
                f.write(SWAY_CONFIG if self.config is None else self.config)
            if self.user:
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
            argv = ["sway", "-c", path]
        return argv + self.extra_args

    def _launcher_argv(self):
        if self.sealshm_run is None:
            return []
        run = self.sealshm_run
        if self.user:
            lib = os.path.join(os.path.dirname(os.path.realpath(run)),
                               SHIM_FILE)
            if os.path.exists(lib) and _ldd_problem(self._user_prefix(),
                                                    lib):
                run = _copy_build_libraries(
                    run, os.path.join(self.dir, "sealshm-libs"))
                problem = _ldd_problem(self._user_prefix(),
                                       os.path.join(os.path.dirname(run),
                                                    SHIM_FILE))
                if problem:
                    raise CompositorError(
                        f"{self.user.pw_name} cannot load {SHIM_FILE} even "
                        f"from a copy in {self.dir}: {problem}")
        argv = [run]
        if self.policy:
            argv += ["--policy", self.policy]
        if self.log:
            argv += ["--log", self.log]
        return argv + ["--"]

    def _environment(self):
        env = dict(os.environ)
        for name in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY",
                     "SWAYSOCK", "I3SOCK"):
            env.pop(name, None)
        env["XDG_RUNTIME_DIR"] = self.runtime_dir
        env["HOME"] = self.home
        if self.kind == "sway":
            env.update(WLR_BACKENDS="headless", WLR_RENDERER="pixman",
                       WLR_LIBINPUT_NO_DEVICES="1",
                       XDG_CONFIG_HOME=os.path.join(self.home, ".config"))
            if self.user:
                env.update(USER=self.user.pw_name,
                           LOGNAME=self.user.pw_name)
        env.update(self.extra_env)
        return env

    def _find_socket(self):
        if self.socket:
            return self.socket
        try:
            names = sorted(os.listdir(self.runtime_dir))
        except OSError:
            return None
        for name in names:
            if _WAYLAND_SOCKET.match(name):
                return name
        return None

    def _accepts(self, name):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(os.path.join(self.runtime_dir, name))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def start(self, timeout=20):
        """Start the compositor; return once its socket accepts
        connections and, with sealshm_run, once libsealshm-wl-shm is seen
        mapped into it.  Raises CompositorError otherwise (and stops what
        it started)."""
        if self.proc is not None:
            raise CompositorError("already started")
        argv = (self._user_prefix() + self._launcher_argv()
                + self._compositor_argv())
        self.argv = argv
        self._log_file = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(argv, env=self._environment(),
                                         stdin=subprocess.DEVNULL,
                                         stdout=self._log_file,
                                         stderr=subprocess.STDOUT,
                                         cwd=self.dir)
        except OSError as e:
            self.stop()
            raise CompositorError(f"cannot run {' '.join(argv)}: {e}")
        self.pid = self.proc.pid
        deadline = time.monotonic() + timeout
        if self.kind == "sway":
            self.socket = None
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise CompositorError(
                    f"{self.kind} exited with status {self.proc.returncode} "
                    f"before it accepted connections: "
                    f"{' '.join(argv)}\n{self.stderr_text()}")
            name = self._find_socket()
            if name and self._accepts(name):
                self.socket = name
                break
            if time.monotonic() > deadline:
                self.stop()
                raise CompositorError(
                    f"{self.kind} did not accept connections within "
                    f"{timeout} s: {' '.join(argv)}\n{self.stderr_text()}")
            time.sleep(0.05)
        try:
            self._check_process()
        except CompositorError:
            self.stop()
            raise
        return self

    def _check_process(self):
        with open(f"/proc/{self.pid}/comm") as f:
            comm = f.read().strip()
        if comm != self.kind:
            raise CompositorError(
                f"pid {self.pid} is {comm!r}, not {self.kind}: a wrapper "
                f"did not exec")
        mapped = self.shim_mapped()
        if self.sealshm_run and not mapped:
            raise CompositorError(
                f"{self.kind} (pid {self.pid}) runs without {SHIM_NAME}: "
                f"the preload was ignored, so it is NOT protected. "
                f"Log:\n{self.stderr_text()}")
        if not self.sealshm_run and mapped:
            raise CompositorError(
                f"{self.kind} (pid {self.pid}) has {SHIM_NAME} mapped "
                f"although it was started without sealshm-run (is "
                f"LD_PRELOAD set in the environment?)")

    def stop(self, timeout=15):
        """SIGTERM, wait (SIGKILL after @timeout seconds); returns the exit
        status, negative for a signal, like subprocess."""
        for client in self._clients:
            self._end_client(client)
        self._clients = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        return None if self.proc is None else self.proc.returncode

    def wait_for_exit(self, timeout):
        """The exit status once the compositor exited, or None if it still
        runs after @timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- what the compositor does ---

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def returncode(self):
        return None if self.proc is None else self.proc.poll()

    def _status_field(self, name):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == name:
                    return value.strip()
        raise CompositorError(f"no {name} in /proc/{self.pid}/status")

    def sigbus_caught(self):
        """Whether the compositor has a SIGBUS handler (SigCgt bit 6:
        signal 7).  Unprotected, libwayland-server installs one at the
        first wl_shm_buffer_begin_access()."""
        return bool(int(self._status_field("SigCgt"), 16)
                    & (1 << (signal.SIGBUS - 1)))

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def nofile_limit(self):
        """The compositor's RLIMIT_NOFILE (soft, hard), from /proc."""
        return read_nofile_limit(self.pid)

    def shim_mapped(self):
        with open(f"/proc/{self.pid}/maps") as f:
            return SHIM_NAME in f.read()

    def stderr_text(self):
        """The compositor's log (stdout and stderr) so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    # --- clients ---

    def client_env(self):
        env = dict(os.environ)
        for name in ("WAYLAND_SOCKET", "DISPLAY"):
            env.pop(name, None)
        env.update(XDG_RUNTIME_DIR=self.runtime_dir,
                   WAYLAND_DISPLAY=self.socket,
                   GDK_BACKEND="wayland", QT_QPA_PLATFORM="wayland",
                   NO_AT_BRIDGE="1", GSETTINGS_BACKEND="memory")
        return env

    def run_client(self, argv, timeout, check=False, env=None, cwd=None):
        """Run a client to its end, output captured.  A client still
        running after @timeout seconds gets SIGTERM (SIGKILL 5 s later):
        the result then has timed_out True and the signal's negative
        status.  check: raise CalledProcessError on a non-zero status
        (also for a timeout)."""
        full_env = self.client_env()
        full_env.update(env or {})
        proc = subprocess.Popen(argv, env=full_env, cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.terminate()
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
        result = subprocess.CompletedProcess(
            argv, proc.returncode, out.decode(errors="replace"),
            err.decode(errors="replace"))
        result.timed_out = timed_out
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, argv,
                                                result.stdout,
                                                result.stderr)
        return result

    def spawn_client(self, argv, env=None, cwd=None):
        """Start a client in the background, its output going to a file
        (path in .output_path); end it with end_client().  stop() ends
        those still running."""
        full_env = self.client_env()
        full_env.update(env or {})
        fd, path = tempfile.mkstemp(prefix="client-", suffix=".log",
                                    dir=self.dir)
        proc = subprocess.Popen(argv, env=full_env, cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=fd,
                                stderr=subprocess.STDOUT)
        os.close(fd)
        proc.output_path = path
        self._clients.append(proc)
        return proc

    def _end_client(self, proc, timeout=5):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def end_client(self, proc, timeout=5):
        """SIGTERM a spawned client (SIGKILL after @timeout s) unless it
        exited; returns (status, output)."""
        status = self._end_client(proc, timeout)
        if proc in self._clients:
            self._clients.remove(proc)
        with open(proc.output_path, "rb") as f:
            return status, f.read().decode(errors="replace")


def read_nofile_limit(pid="self"):
    """(soft, hard) "Max open files" of a process, from /proc/PID/limits;
    "unlimited" reads as -1."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                fields = line.split()
                return tuple(-1 if v == "unlimited" else int(v)
                             for v in fields[3:5])
    raise OSError(errno.ENOENT, f"no Max open files in /proc/{pid}/limits")


def settle(predicate, timeout=10, interval=0.1):
    """Poll @predicate until it is true or @timeout seconds passed; returns
    its last value.  For states that follow an event with a short delay
    (fds closed after a client hung up), not for timing assertions."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
