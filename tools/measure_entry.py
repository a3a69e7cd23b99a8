#!/usr/bin/env python3
"""Times a training command for a while and prints what it needs, for the per-task resources of docs/cluster.md.

Usage: tools/measure_entry.py SECONDS CHECKPOINT -- COMMAND...
e.g.   tools/measure_entry.py 60 out/runs/vanilla-seed1/checkpoint.safetensors -- lstmlens reproduce hdetach-copy --entry 0 --out out --threads 1
Runs COMMAND, polls its peak resident memory (VmHWM), its CPU time (user + system: on a busy machine the rates per CPU second
still say what the run costs) and the update count in CHECKPOINT's position; after SECONDS sends SIGTERM (task runs then save
their checkpoint and print how many sequences they trained), and ends it. Prints one JSON line: wall and CPU seconds, peak
memory, sequences trained (task runs) and updates per CPU second between the first and the last checkpoint seen. Nothing is
extrapolated here.
"""
import json, os, re, signal, struct, subprocess, sys, time

seconds, checkpoint, command = float(sys.argv[1]), sys.argv[2], sys.argv[sys.argv.index("--") + 1:]

def updates():
    try:
        with open(checkpoint, "rb") as f:
            header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        return json.loads(header["__metadata__"]["position"])["updates"]
    except (OSError, KeyError, ValueError, struct.error):
        return None

tick = os.sysconf("SC_CLK_TCK")
start = time.time()
process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
peak, cpu, samples = 0, 0.0, []
while process.poll() is None and time.time() - start < seconds:
    try:
        peak = max(peak, int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{process.pid}/status").read()).group(1)))
        fields = open(f"/proc/{process.pid}/stat").read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    except (OSError, AttributeError, IndexError):
        pass
    u = updates()
    if u is not None and (not samples or samples[-1][1] != u):
        samples.append((cpu, u))
    time.sleep(0.5)
process.send_signal(signal.SIGTERM)
try:
    out, err = process.communicate(timeout=60)
except subprocess.TimeoutExpired:
    process.kill()
    out, err = process.communicate()
result = {"command": " ".join(command[1:6]), "seconds": round(time.time() - start, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mib": round(peak / 1024, 1)}
stopped = re.search(r"training stopped after ([\d,]+) sequences", err)
if stopped:
    result["sequences"] = int(stopped.group(1).replace(",", ""))
if len(samples) >= 2:
    (c0, u0), (c1, u1) = samples[0], samples[-1]
    result.update(updates=u1, updates_per_cpu_s=round((u1 - u0) / (c1 - c0), 2))
print(json.dumps(result), flush=True)
