/**
 * @grpc/proto-loader with request decoding that cannot fail. grpc-js answers bytes that are not a
 * valid protobuf message with INTERNAL, before any application code runs; a malformed request is
 * the caller's error (R-ERR-1), so an undecodable body becomes a marker object instead, which the
 * DTO validation refuses with INVALID_ARGUMENT like any other bad input.
 */
import * as protoLoader from '@grpc/proto-loader';

export const UNDECODABLE = '__undecodable';

function guard(definition: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  for (const entry of Object.values(definition)) {
    for (const method of Object.values(entry as Record<string, unknown>)) {
      const m = method as protoLoader.MethodDefinition<object, object> | undefined;
      if (m && typeof m === 'object' && typeof m.requestDeserialize === 'function') {
        const decode = m.requestDeserialize;
        m.requestDeserialize = (bytes: Buffer) => {
          try {
            return decode(bytes);
          } catch {
            return { [UNDECODABLE]: true };
          }
        };
      }
    }
  }
  return definition;
}

export function loadSync(...args: Parameters<typeof protoLoader.loadSync>): protoLoader.PackageDefinition {
  return guard(protoLoader.loadSync(...args));
}

export async function load(...args: Parameters<typeof protoLoader.load>): Promise<protoLoader.PackageDefinition> {
  return guard(await protoLoader.load(...args));
}
