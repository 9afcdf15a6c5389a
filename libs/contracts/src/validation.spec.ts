import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { DomainError } from '@vc/errors';
import { contactKey, isUuid, hiddenViolation, jsonNestsDeeperThan, toJson, validateDto } from './validation';

describe('isUuid', () => {
  it('accepts a uuid of any version, in either case', () => {
    expect(isUuid('3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f')).toBe(true);
    expect(isUuid('3F2B8C1E-9D4A-1E7B-0C2F-1A2B3C4D5E6F')).toBe(true);
  });

  it('refuses credit codes, partial ids and anything that is not a string', () => {
    for (const value of ['91310000MA1FL0XX0X', '3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6', ' 3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f', '', undefined, null, 42, {}]) {
      expect(isUuid(value)).toBe(false);
    }
  });
});

describe('toJson (R-MONEY-1: money is integer fen on the wire)', () => {
  it('writes bigint fen as a number while it is a safe integer, and as a decimal string beyond', () => {
    expect(toJson({ voucherFen: 100_000n, totalFen: 2n ** 60n, rows: [{ leftFen: -5n }] })).toBe(
      '{"voucherFen":100000,"totalFen":"1152921504606846976","rows":[{"leftFen":-5}]}',
    );
    expect(toJson({ edge: BigInt(Number.MAX_SAFE_INTEGER), over: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toBe(
      `{"edge":${Number.MAX_SAFE_INTEGER},"over":"${BigInt(Number.MAX_SAFE_INTEGER) + 1n}"}`,
    );
  });

  it('writes a value without bigints exactly as JSON.stringify does', () => {
    const reply = { id: 'o-1', voucherFen: 100000, paidAt: new Date(0), note: '检测', nested: [1, null, { a: undefined }] };
    expect(toJson(reply)).toBe(JSON.stringify(reply));
  });

  it('still refuses what JSON cannot hold', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => toJson(loop)).toThrow(TypeError);
  });
});

class NoteDto {
  @IsString() @MaxLength(50) text!: string;
}

class NotesDto {
  @IsString() title!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => NoteDto) notes!: NoteDto[];
}

describe('validateDto (R-ERR-1: bad input is refused with a stable code and the field)', () => {
  it('accepts a valid body, line breaks and all', () => {
    expect(validateDto(NotesDto, { title: '检测\n报告', notes: [{ text: 'a' }] })).toMatchObject({ title: '检测\n报告' });
  });

  it('refuses a NUL character anywhere in the body, naming the field (no PostgreSQL text can hold one)', () => {
    expect(hiddenViolation({ title: 'x', notes: [{ text: 'a' }, { text: 'b\u0000' }] })).toMatchObject({ field: 'notes.1.text' });
    expect(hiddenViolation({ title: 'x', notes: [] })).toBeNull();
    let refused: unknown;
    try {
      validateDto(NotesDto, { title: 'ok', notes: [{ text: 'a\u0000b' }] });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', field: 'notes.0.text' });
  });
});

describe('validateDto: unknown fields (R-ERR-1)', () => {
  const refusal = (body: unknown) => {
    try {
      validateDto(NotesDto, body);
      return null;
    } catch (err) {
      return err as DomainError;
    }
  };

  it('refuses a field named after a property every object inherits, at any depth, as not accepted', () => {
    for (const name of ['valueOf', 'toString', 'hasOwnProperty', 'constructor']) {
      expect(refusal({ title: 'x', notes: [], [name]: { a: 1 } })).toMatchObject({ code: 'VALIDATION_FAILED', field: name });
      expect(refusal({ title: 'x', notes: [{ text: 'a', [name]: 1 }] })).toMatchObject({ code: 'VALIDATION_FAILED', field: `notes.0.${name}` });
    }
    expect(refusal(JSON.parse('{"title":"x","notes":[],"__proto__":{"admin":true}}'))).toMatchObject({ code: 'VALIDATION_FAILED', field: '__proto__' });
  });

  it('refuses any other unknown field too', () => {
    expect(refusal({ title: 'x', notes: [], extra: 1 })).toMatchObject({ code: 'VALIDATION_FAILED', field: 'extra' });
  });
});

describe('validateDto: which rule a refusal names', () => {
  class PageDto {
    @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  }
  const refusal = (body: unknown) => {
    try {
      validateDto(PageDto, body);
      return null;
    } catch (err) {
      return err as DomainError;
    }
  };

  it('R-ERR-1: names the broken bound, the lower one for a value below it', () => {
    expect(refusal({ limit: -1 })).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit', message: 'limit must not be less than 1' });
    expect(refusal({ limit: 501 })).toMatchObject({ field: 'limit', message: 'limit must not be greater than 500' });
  });

  it('R-ERR-1: names the type first when the value is not of it, as the rules are written', () => {
    expect(refusal({ limit: 'abc' })).toMatchObject({ field: 'limit', message: 'limit must be an integer number' });
    expect(refusal({ limit: 1.5 })).toMatchObject({ field: 'limit', message: 'limit must be an integer number' });
  });
});

describe('jsonNestsDeeperThan', () => {
  it('R-ERR-1: counts the nesting of objects and arrays, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan('{"a":{"b":[1,[2]]}}', 4)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":{"b":[1,[2]]}}', 3)).toBe(true);
    expect(jsonNestsDeeperThan(`{"text":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`, 2)).toBe(false);
    const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect(jsonNestsDeeperThan(deep)).toBe(true);
  });
});

describe('contactKey (R-PUB-1: objections are named and reachable)', () => {
  it('R-PUB-1: one key for the spellings of one phone number or e-mail address', () => {
    for (const spelling of ['13912345678', '+86 13912345678', '139-1234-5678', '+8613912345678', ' 139 1234 5678 ']) expect(contactKey(spelling)).toBe('phone:13912345678');
    expect(contactKey('025-83790000')).toBe(contactKey('02583790000'));
    expect(contactKey('010-12345678-123')).toBe('phone:01012345678-123');
    expect(contactKey('Zhao.Liu@Example.com')).toBe('email:zhao.liu@example.com');
  });

  it('R-PUB-1: neither a phone number nor an e-mail address is no contact', () => {
    for (const junk of ['call me', '12345', '23912345678', 'someone@', '@example.com', 'a@b', '', 5, null]) expect(contactKey(junk)).toBeNull();
  });
});
