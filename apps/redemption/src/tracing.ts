// Imported first by main.ts: OpenTelemetry (when an OTLP endpoint is configured) must patch http,
// pg and gRPC before anything requires them (libs/telemetry).
import { startTracing } from '@vc/telemetry';

startTracing('redemption');
