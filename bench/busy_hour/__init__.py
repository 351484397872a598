"""A 400-agent busy hour through the service as `contactcentre serve` composes it,
time compressed: how fast can the clock run before the service falls behind?

Run from the repository root (about 15-20 minutes; needs PostgreSQL 15 and
espeak-ng, as the tests do):

    .venv/bin/python -m bench.busy_hour [--speeds 5,10,20,40] [--minutes 4]

What runs, all on loopback, each part in its own process:
- the service: `contactcentre.bootstrap.build(settings)` run as `serve` runs it
  (AMI bridge and call tracker, FastAGI with the shipped IVR flows speaking TTS
  prompts through the espeak-ng worker, ACD, CRM on a throwaway PostgreSQL started
  as the tests start it, recordings, Socket.IO and the REST API), its clock and
  the ACD's timers running `speed` times faster than the wall clock
  (`build(..., time_scale=speed)`);
- the PBX simulator (telephony/sim/) at the same speed: Asterisk over real AMI and
  FastAGI TCP, the callers, 400 agents' phones, MixMonitor files;
- 400 agents' desktops: python-socketio clients with the sessions of the agents'
  sign-ins through the API (made once, in the template database every run
  copies), each logged in to its queues through the API, keeping its pops.

The workload (bench/busy_hour/workload.py) is the busy-hour model: Poisson
arrivals at 12,000 calls an hour, talk time log-normal with mean 90 s, patience on
hold exponential with mean 120 s, wrap-up 10 s, phones ring 2 s. The callers go
through the shipped menus (English 55 %, Russian 35 %, Korean by keys 10 %) to the
four queues the flows hand calls to (billing, support, sales, general; 10 routing
groups of queue and language are reached), 80 % ring from one of 2,000 seeded
customers' numbers (greeted by name, billing callers hear their balance: TTS per
customer, cached as in production). The same seed gives the same callers at every
speed. Each agent is in two queues with one or two languages.

Each run: a warm-up (default 2 simulated minutes), the measured window (default
4), a tail (default 1) in which the window's callers finish waiting; arrivals go on
throughout. Figures are over the calls queued in the window. First the 1x
baseline, then the speeds of `--speeds` in turn until one falls behind, then the
geometric middle between the last good and the first bad speed. A speed keeps up
when its service level (answered within 20 s over calls queued) is at most one
point below the 1x run's and the service's event-loop lag p99 (a 20 ms sleep's
lateness, wall clock) stays under 100 ms.

Prints each run's service level, average speed of answer, abandonment, loop lag
p99, screen-pops delivered per offer (and their delay p99), and CPU seconds per
simulated hour by component; last line `time_compression=N x`, the highest speed
tried that kept up (0 if even 1x did not).

CPU by component: the simulator, the desktops and PostgreSQL are their own
processes (read from /proc at the window's edges); the service process is split
by a statistical profiler (bench/busy_hour/profile.py: SIGPROF every 5 ms of CPU,
each sample to the innermost frame's component); the TTS worker process counts to
FastAGI+IVR and the PostgreSQL server to CRM/database.

Left out: the whole hour (a window of minutes at the busy-hour rate, after a
warm-up, stands for it), speech recognition (no vosk model is configured, as by
default: the Korean menu takes keys), transfers, callbacks and voicemail (no caller
asks), agents' own actions beyond logging in (their phones answer; wrap-up ends by
its timer), Redis (one instance), and audio (the simulator writes tones).
Wall-clock cadences stay wall-clock at every speed: the ACD's look at a ringing
offer's caller (0.1 s), the SLA monitor (60 s), AMI keep-alives; the IVR's time
limits for the CRM and TTS are wall seconds too.
"""
