// Names as people read them: NFKC on input, no invisible characters, and one comparison key (nameKey)
// that makes lookalikes clash; strict JSON number types for room creation.
import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../../src/config.ts';
import { Limits } from '../../src/rooms/limits.ts';
import { createStorage } from 'unstorage';
import memoryDriver from 'unstorage/drivers/memory';
import { AccountService, LoginSchema, RegisterSchema } from '../../src/accounts/service.ts';
import { nameKey } from '../../src/rooms/names.ts';
import { createRoomSchema, fieldErrors, JoinSchema, Password, Username } from '../../src/rooms/schema.ts';
import { AccountStore, localClaim } from '../../src/storage/account-store.ts';

describe('nameKey', () => {
  test('lookalikes from other scripts, case and compatibility forms share one key', () => {
    expect(nameKey('pаypal')).toBe(nameKey('paypal')); // Cyrillic а
    expect(nameKey('о')).toBe(nameKey('o')); // Cyrillic о
    expect(nameKey('Ο')).toBe(nameKey('o')); // Greek capital omicron
    expect(nameKey('PayPal')).toBe(nameKey('paypal'));
    expect(nameKey('ｐａｙｐａｌ')).toBe(nameKey('paypal')); // fullwidth
    expect(nameKey('ann  lee')).toBe(nameKey('ann lee'));
  });

  test('different names keep different keys', () => {
    expect(nameKey('alice')).not.toBe(nameKey('alicia'));
    expect(nameKey('bob')).not.toBe(nameKey('rob'));
    // Marks that make a different name in scripts that use them are kept.
    expect(nameKey('राम')).not.toBe(nameKey('रमा'));
  });
});

const ok = (schema: typeof Username, v: unknown) => {
  const r = schema.safeParse(v);
  if (!r.success) throw new Error(`refused ${JSON.stringify(v)}: ${r.error.issues[0]?.message}`);
  return r.data;
};

describe('name input', () => {
  test('is NFKC-normalised: the normal form is what is kept', () => {
    expect(ok(Username, 'ｐａｕｌ')).toBe('paul');
    expect(ok(Username, 'e\u0301mile')).toBe('émile');
    expect(ok(Username, '  ﬁona  ')).toBe('fiona');
  });

  const invisible = [
    '\u200B',
    '\u200C',
    '\u200D',
    '\u2060',
    '\u2061',
    '\u2062',
    '\u2063',
    '\u2064',
    '\uFEFF',
    '\u00AD',
    '\uFE00',
    '\uFE0F',
    '\u{E0100}',
    '\u{E01EF}',
    '\u115F',
    '\u1160',
    '\u3164',
    '\uFFA0',
    '\u202E',
    '\u2066',
    '\u200E',
    '\u061C',
    '\u0007',
    '\u0085',
    '\u{E0041}', // tag character (Cf)
  ];
  test.each(invisible.map((ch) => [ch.codePointAt(0)!.toString(16), ch]))('refuses U+%s with a field error', (_, ch) => {
    for (const name of [`ad${ch}min`, `${ch}admin`, ch]) {
      const r = JoinSchema.safeParse({ username: name });
      expect(r.success).toBe(false);
      expect(fieldErrors(r.error!).username).toBeString();
    }
    const create = createRoomSchema(3600).safeParse({ name: 'r', owner_name: `x${ch}y` });
    expect(fieldErrors(create.error!).owner_name).toBeString();
    expect(RegisterSchema.safeParse({ username: `x${ch}y`, password: 'long enough' }).success).toBe(false);
  });

  test('refuses names that are blank after normalising', () => {
    for (const name of ['', '   ', '\u3000', '\u00A0\u2003']) {
      expect(fieldErrors(JoinSchema.safeParse({ username: name }).error!).username).toBe('must not be empty');
    }
  });

  test('a lone surrogate is a validation error, in names and passwords', () => {
    for (const bad of ['\ud800', 'a\udc00b', 'ok\ud83d']) {
      expect(Username.safeParse(bad).success).toBe(false);
      expect(Password.safeParse(bad).success).toBe(false);
      expect(RegisterSchema.safeParse({ username: 'fine', password: `12345678${bad}` }).success).toBe(false);
      expect(LoginSchema.safeParse({ username: bad, password: 'x' }).success).toBe(false);
      expect(LoginSchema.safeParse({ username: 'fine', password: bad }).success).toBe(false);
    }
    expect(ok(Username, 'smile 😀')).toBe('smile 😀');
  });
});

describe('account reservation compares nameKey', () => {
  const service = () => {
    const storage = createStorage({ driver: memoryDriver() });
    const limits = new Limits(loadConfig({ RATE_LIMIT_EXEMPT: '127.0.0.1' }));
    return new AccountService(new AccountStore(storage, localClaim(storage)), limits, (_address, work) => work());
  };

  test('a lookalike of a registered name is reserved and cannot be registered', async () => {
    const accounts = service();
    await accounts.register('paypal', 'password1', '127.0.0.1');
    expect(await accounts.isReserved('pаypal')).toBe(true);
    expect(await accounts.isReserved('PAYPAL')).toBe(true);
    expect(await accounts.isReserved('paypals')).toBe(false);
    await expect(accounts.register('pаypal', 'password2', '127.0.0.1')).rejects.toMatchObject({ code: 'username_taken' });
    // The holder logs in under the name as registered.
    expect((await accounts.login('paypal', 'password1', '127.0.0.1')).username).toBe('paypal');
  });
});

describe('room creation: strict JSON numbers', () => {
  const json = createRoomSchema(3600, 600, { json: true });
  const form = createRoomSchema(3600, 600);
  const base = { name: 'r', owner_name: 'o' };

  test('JSON: numbers must be JSON numbers', () => {
    for (const [field, value] of [
      ['expiry_seconds', [60]],
      ['expiry_seconds', '60'],
      ['max_users', ' 5 '],
      ['max_users', '5'],
      ['idle_seconds', true],
      ['max_users', 60.5],
    ] as const) {
      const r = json.safeParse({ ...base, [field]: value });
      expect(r.success).toBe(false);
      expect(fieldErrors(r.error!)[field]).toBe('must be a whole number');
    }
    expect(json.parse({ ...base, expiry_seconds: 60, max_users: 5, idle_seconds: null })).toMatchObject({
      expiry_seconds: 60,
      max_users: 5,
    });
    expect(json.safeParse({ ...base, password: 5 }).success).toBe(false);
  });

  test('forms: numeric strings still count; anything else does not', () => {
    expect(form.parse({ ...base, expiry_seconds: '60', max_users: ' 5 ', idle_seconds: '' })).toMatchObject({
      expiry_seconds: 60,
      max_users: 5,
    });
    for (const bad of ['0x10', '1e2', 'five', '[60]', '5 5']) {
      expect(fieldErrors(form.safeParse({ ...base, max_users: bad }).error!).max_users).toBe('must be a whole number');
    }
  });
});

describe('accounts registered before nameKey', () => {
  test('an account stored under the old lower-case key is still found, reserved and deletable', async () => {
    const storage = createStorage({ driver: memoryDriver() });
    const store = new AccountStore(storage, localClaim(storage));
    // written the way the previous version keyed accounts
    await storage.setItem(`account:${encodeURIComponent('zoë1')}`, { username: 'Zoë1', passwordHash: 'x', createdAt: 1 });
    expect((await store.get('Zoë1'))?.username).toBe('Zoë1');
    expect(await store.exists('zoë1')).toBe(true);
    await store.delete('Zoë1');
    expect(await store.exists('zoë1')).toBe(false);
  });
});
