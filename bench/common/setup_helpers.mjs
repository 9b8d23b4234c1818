// What the benchmark set-up scripts share: seeded synthetic text from a
// vocabulary (every run loads the same data), JSON calls that throw on a
// non-2xx reply, and waiting for a long-running operation.

// sentence(n): n words of `words`; pick(a): one element of a; both drawn from
// one linear congruential generator started at `seed`.
export function textFrom(words, seed) {
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pick = (a) => a[rand(a.length)];
  const sentence = (n) => Array.from({ length: n }, () => pick(words)).join(' ');
  return { pick, sentence };
}

// call(method, path, body): `path` is absolute (http://…) or under `prefix`.
export function jsonCaller(prefix) {
  return async function call(method, path, body) {
    const r = await fetch(path.startsWith('http') ? path : `${prefix}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
}

// Polls `url` (the operation's GET) every 5 ms until it is done; throws its error.
export async function waitDone(call, url) {
  for (;;) {
    const o = await call('GET', url);
    if (o.done) {
      if (o.error) throw new Error(JSON.stringify(o.error));
      return o;
    }
    await new Promise((res) => setTimeout(res, 5));
  }
}
