"""JupyterHub for a class of about 20 on one server: the course's environment, one JupyterLab per
student, resource limits sized from measurement, idle servers culled. See deploy/README.md.

    jupyterhub -f deploy/jupyterhub_config.py     # as root, from the clone, after the install below

The server needs the course and the hub installed (`python3 -m venv /opt/genmodels &&
/opt/genmodels/bin/pip install -e ".[dev,hub]" jupyterhub-systemdspawner`), configurable-http-proxy
(`npm install -g configurable-http-proxy`) and systemd. `make test-hub` starts this file on one
machine (it loads it and swaps in a test login and a plain local spawner, see tests/hub/).
"""

import os
import sys

c = get_config()  # noqa: F821 (JupyterHub's config loader provides it)

# --- Per student, from measurement (deploy/README.md, "What one student uses") ------------------
# A kernel's peak while running a notebook: 0.8-3.1 GiB (notebook 03 the largest; most 1.2-1.4);
# a run uses torch's 2 threads, so at most 2 cores, for 6-96 s on the idle reference machine. The
# limit lets the largest notebook run with its single-user server beside it; the guarantee is what
# most notebooks reach (an open kernel keeps its memory until it is shut down).
MEM_LIMIT = "4G"
MEM_GUARANTEE = "1.5G"
CPU_LIMIT = 2.0
CPU_GUARANTEE = 0.5
IDLE_TIMEOUT_SECONDS = 3600  # a server nobody has used for an hour is stopped; the files stay

# --- Who logs in -----------------------------------------------------------------------------
# Students are Unix accounts on the server (`adduser`), allowed by name from students.txt beside
# this file (one username per line); the instructor is admin. Swap in your university's login
# (OAuthenticator, LTI) here if it has one.
c.JupyterHub.authenticator_class = "pam"
here = os.path.dirname(os.path.abspath(__file__))
class_list = os.path.join(here, "students.txt")
if os.path.exists(class_list):
    with open(class_list) as names:
        c.Authenticator.allowed_users = {line.strip() for line in names if line.strip()}
c.Authenticator.admin_users = {"instructor"}

# --- One JupyterLab per student, limits enforced by systemd (MemoryMax, CPUQuota) ------------------
c.JupyterHub.spawner_class = "systemdspawner"
c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}"
c.SystemdSpawner.isolate_tmp = True
c.SystemdSpawner.isolate_devices = True
c.Spawner.cmd = [os.path.join(os.path.dirname(sys.executable), "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.mem_guarantee = MEM_GUARANTEE
c.Spawner.cpu_limit = CPU_LIMIT
c.Spawner.cpu_guarantee = CPU_GUARANTEE
# torch starts one thread per core of the machine, not of the limit: two threads fit CPU_LIMIT.
c.Spawner.environment = {"OMP_NUM_THREADS": str(int(CPU_LIMIT)), "GENMODELS_PROFILE": "quick"}
c.Spawner.http_timeout = 120  # the first start of a server imports JupyterLab on a busy machine
c.Spawner.start_timeout = 120

# --- Idle servers stopped, so memory held by forgotten kernels comes back ------------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT_SECONDS}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
