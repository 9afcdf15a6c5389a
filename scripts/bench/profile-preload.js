// BENCH_PROFILE=1: each service is started with `--require` of this file. It records a CPU profile
// through the inspector and writes it to $BENCH_PROFILE_FILE when the bench stops the service
// (SIGTERM), before the graceful shutdown. Open it in any .cpuprofile viewer.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.start'));
process.prependListener('SIGTERM', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(process.env.BENCH_PROFILE_FILE, JSON.stringify(result.profile));
    process.exit(0);
  });
});
