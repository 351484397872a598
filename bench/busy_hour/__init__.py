"""A 400-agent busy hour through the service as `contactcentre serve` composes it,
time compressed: how fast can the clock run before the service falls behind?

Run from the repository root (15-20 minutes; needs PostgreSQL 15 and espeak-ng,
as the tests do):

    .venv/bin/python -m bench.busy_hour [--speeds 2,4,8,16,32] [--logs DIR]

What runs, all on loopback, each part in its own process:
- the service: `contactcentre.bootstrap.build(settings)` run as `serve` runs it
  (AMI bridge and call tracker, FastAGI with the shipped IVR flows speaking TTS
  prompts through the espeak-ng worker, ACD, CRM on a throwaway PostgreSQL started
  as the tests start it, recordings, Socket.IO and the REST API), its clock and the
  ACD's timers running `speed` times faster than the wall clock
  (`build(settings, time_scale=speed)`, 1 in production);
- the PBX simulator (telephony/sim/) at the same speed: Asterisk over real AMI and
  FastAGI TCP, the callers, 400 agents' phones, MixMonitor files;
- 400 agents' desktops: python-socketio clients with the sessions of the agents'
  sign-ins through the API (made once, in the template database every run copies:
  a sign-in costs an argon2 hash), each logged in to its queues through the API,
  keeping the screen-pops it receives.

The workload (bench/busy_hour/workload.py) is the busy-hour model: Poisson
arrivals at 12,000 calls an hour, talk time log-normal with mean 90 s, patience on
hold exponential with mean 120 s (plus the time the caller's IVR path takes),
wrap-up 10 s, phones ring 2 s. The callers go through the shipped menus (English
55 %, Russian 35 %, Korean by keys 10 %) to the four queues the flows hand calls
to, so the ten queues of the model become 12 routing groups of queue and language;
80 % ring from one of 2,000 seeded customers' numbers (greeted by name; billing
callers hear their balance: TTS per customer, cached as in production). Each agent
is in two queues with one or two languages. The same seed gives the same callers
at every speed.

Each run: a warm-up (3 simulated minutes: the agents' occupancy is then within a
few percent of the hour's), the measured window (3), a tail (0.5) in which the
window's callers finish waiting; arrivals go on throughout. Figures are over the
calls queued in the window. First the 1x baseline, then `--speeds` in turn until
one falls behind, then the geometric middle of the last good and the first bad
speed. A speed keeps up when its service level (answered within 20 s over all
calls queued) is at most one point below the 1x run's, the service's event-loop
lag p99 (how late a 20 ms sleep wakes, wall clock) is under 100 ms, and no part
fell behind: by the end of the run at least 99 % of the window's offers had
popped on the agent's desktop and 99 % of its answered calls had their recording
file (as at 1x). The last two are this bench's own: a speed at which a quarter of the
calls go unrecorded has not kept up, whatever its service level.

Prints, for each speed: service level, average speed of answer, abandonment,
loop lag p99, screen-pops delivered per offer (by the end of the run) and their
delay p99, the share of answered calls whose recording file the PBX was writing,
how late the simulator placed callers, the deepest bus mailbox or journal backlog
(the part that fell behind) and the service's CPU per simulated hour; then the
CPU seconds per simulated hour by component at the highest speed that kept up;
last line `time_compression=N x`, that speed (0 if even 1x did not keep up).

CPU by component: the simulator, the desktops and PostgreSQL are their own
processes (read from /proc at the window's edges); the service process is split
by a statistical profiler (bench/busy_hour/profile.py: SIGPROF every 5 ms of CPU,
each sample to the innermost frame's component); its TTS worker counts to
FastAGI+IVR and the PostgreSQL server to CRM/database.

Left out: the rest of the hour (the window stands for it), speech recognition (no
vosk model is configured, as by default: the Korean menu takes keys), transfers,
callbacks and voicemail (no caller asks for them), agents' own actions beyond
logging in (their phones answer, wrap-up ends by its timer), Redis (one instance)
and real audio (the simulator writes a tone). Some cadences stay on the wall clock
at every speed, so a compressed hour does less of that work than a real one: the
ACD's look at a ringing offer's caller (0.1 s), the SLA monitor (60 s), the
simulator's recording tick (0.2 s); the IVR's time limits for the CRM and TTS are
wall seconds too, as they should be.
"""
