// BENCH_PROFILE=1: services run with --cpu-prof; exiting on SIGTERM (before the graceful shutdown)
// lets Node write the profile, which a signal's default action would not.
process.prependListener('SIGTERM', () => process.exit(0));
