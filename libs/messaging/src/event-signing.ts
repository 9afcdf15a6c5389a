import { sign, verify } from 'node:crypto';
import { MsgHdrs, headers as natsHeaders } from 'nats';
import { ServiceKey, TrustedServiceKeys } from '@vc/auth';
import { ServiceName } from '@vc/contracts';

/**
 * The emitter's identity, its key id and its signature travel with every event as message headers
 * (kept by JetStream with the message). The signature is Ed25519 over the subject and the exact
 * bytes of the envelope (its id, type, payload and the rest), so nothing of it can be changed, and
 * it cannot be moved to another subject.
 */
export const SignatureHeaders = {
  signer: 'Vc-Signer',
  keyId: 'Vc-Key-Id',
  signature: 'Vc-Signature',
} as const;

const NEWLINE = Buffer.from('\n');

function signingInput(subject: string, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(subject, 'utf8'), NEWLINE, data]);
}

/** Signs the events a service publishes, with its own key. */
export class EventSigner {
  constructor(private readonly key: ServiceKey) {}

  get service(): ServiceName {
    return this.key.service;
  }

  headers(subject: string, data: Uint8Array, into: MsgHdrs = natsHeaders()): MsgHdrs {
    into.set(SignatureHeaders.signer, this.key.service);
    into.set(SignatureHeaders.keyId, this.key.kid);
    into.set(SignatureHeaders.signature, sign(null, signingInput(subject, data), this.key.privateKey).toString('base64'));
    return into;
  }
}

export type SignatureCheck = { ok: true; signer: ServiceName; kid: string } | { ok: false; reason: QuarantineReason; detail: string; signer?: string; kid?: string };

/** Why an event was not applied (the `reason` of a quarantined event, and a metric label). */
export type QuarantineReason = 'unsigned' | 'unknown_key' | 'bad_signature' | 'wrong_owner' | 'subject_mismatch' | 'not_an_envelope' | 'invalid_payload' | 'replayed' | 'unknown_type';

/** Checks that an event was signed by the service it claims, with a key this system trusts. */
export class EventVerifier {
  constructor(private readonly trusted: TrustedServiceKeys) {}

  check(subject: string, data: Uint8Array, headers: MsgHdrs | undefined): SignatureCheck {
    const signer = headers?.get(SignatureHeaders.signer) || undefined;
    const kid = headers?.get(SignatureHeaders.keyId) || undefined;
    const signature = headers?.get(SignatureHeaders.signature) || undefined;
    if (!signer || !kid || !signature) return { ok: false, reason: 'unsigned', detail: 'the event carries no signer, key id or signature', signer, kid };
    const key = this.trusted.get(kid);
    if (!key) return { ok: false, reason: 'unknown_key', detail: `key ${kid} is not a trusted service key`, signer, kid };
    if (key.service !== signer) return { ok: false, reason: 'bad_signature', detail: `key ${kid} belongs to ${key.service}, not to ${signer}`, signer, kid };
    let good = false;
    try {
      good = verify(null, signingInput(subject, data), key.key, Buffer.from(signature, 'base64'));
    } catch {
      good = false;
    }
    if (!good) return { ok: false, reason: 'bad_signature', detail: `the signature does not verify with ${kid}`, signer, kid };
    return { ok: true, signer: key.service, kid };
  }
}
