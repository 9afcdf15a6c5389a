// Container health check: GET http://127.0.0.1:$HTTP_PORT/health/ready, healthy on a 2xx reply.
// Usage: node deploy/healthcheck.js [path]   (the port defaults to the service's default port)
const DEFAULT_PORTS = { gateway: 3000, registry: 3101, issuance: 3102, redemption: 3103, settlement: 3104 };
const port = Number(process.env.HTTP_PORT) || DEFAULT_PORTS[process.env.SERVICE] || 3000;
const path = process.argv[2] || '/health/ready';

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) })
  .then((res) => {
    if (!res.ok) console.error(`${path} answered ${res.status}`);
    process.exit(res.ok ? 0 : 1);
  })
  .catch((err) => {
    console.error(`${path} unreachable: ${err.message}`);
    process.exit(1);
  });
