import { Deserializer, IncomingRequest, Serializer } from '@nestjs/microservices';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, toJson } from '@vc/contracts';
import { ErrorBody, isErrorBody, toDomainError } from '@vc/errors';

/**
 * The NATS request-reply wire format, the same for every caller (gateway, provider systems,
 * other services): request = JSON body with headers Authorization / Idempotency-Key /
 * X-Correlation-Id; reply = `{"ok":true,"data":…}` or `{"ok":false,"error":{code,message,field}}`.
 */
export type RpcReply<T = unknown> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Marks a body that was not valid JSON; the body decorator turns it into MALFORMED_REQUEST. */
export const MALFORMED_BODY = Object.freeze({ __malformed: true });

/**
 * Marks a body nested deeper than MAX_JSON_DEPTH: refused before it is parsed, since everything
 * that walks a parsed body (validation, serialisation) recurses and a body nested 30,000 deep
 * overflowed the stack (a server error instead of a refusal).
 */
export const TOO_DEEP_BODY = Object.freeze({ __tooDeep: true });

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class JsonRequestDeserializer implements Deserializer<Uint8Array, IncomingRequest> {
  deserialize(value: Uint8Array, options?: { channel?: string; replyTo?: string }): IncomingRequest {
    let data: unknown;
    const text = value && value.length ? decoder.decode(value) : '';
    if (jsonNestsDeeperThan(text)) data = TOO_DEEP_BODY;
    else {
      try {
        data = text === '' ? {} : JSON.parse(text);
      } catch {
        data = MALFORMED_BODY;
      }
    }
    // A request without a reply subject is fire-and-forget: Nest treats a packet without id as an event.
    return { pattern: options?.channel ?? '', data, id: options?.replyTo as string };
  }
}

interface OutgoingPacket {
  err?: unknown;
  response?: unknown;
  isDisposed?: boolean;
}

export class JsonReplySerializer implements Serializer<OutgoingPacket, { data: Uint8Array; headers?: undefined }> {
  serialize(packet: OutgoingPacket): { data: Uint8Array } {
    let reply: RpcReply;
    if (packet.err !== undefined && packet.err !== null) {
      reply = { ok: false, error: isErrorBody(packet.err) ? packet.err : toDomainError(packet.err).toBody() };
    } else {
      reply = { ok: true, data: packet.response === undefined ? null : packet.response };
    }
    return { data: encoder.encode(toJson(reply)) };
  }
}

export const TOO_DEEP_MESSAGE = `request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`;

export function decodeReply<T>(data: Uint8Array): RpcReply<T> {
  return JSON.parse(decoder.decode(data)) as RpcReply<T>;
}
