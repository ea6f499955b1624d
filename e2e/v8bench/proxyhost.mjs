// A minimal proxy-wasm host (ABI 0.2.1 as Envoy implements it,
// docs/internals/proxy-wasm.md) in Node.js, to time whole requests through
// build/apiguard.wasm on V8, the engine Envoy embeds. Benchmarking only: the
// faithful host is the Go emulator in e2e/host, which the Go test
// TestV8Host_sameOutcomesAsEmulator compares this one with.
//
//	node --no-warnings e2e/v8bench/proxyhost.mjs build/apiguard.wasm job.json
//
// job.json: {"configuration": "<plugin configuration>", "iterations": N,
// "warmup": untimed requests per kind before them (default N),
// "kinds": [{"name", "method", "path", "headers": [[k, v], ...], "body",
// "response": {"status", "headers": [[k, v], ...], "body"}}]}. Prints one
// JSON object: per kind the status the client saw, whether the request went
// upstream, the length and SHA-256 of the body the client saw, the median
// wall time per request (µs, performance.now around the exported calls of
// one request) and the median part of it spent in verify_signature's
// node:crypto, plus the plugin's counters.
// One VM, one root context, requests one after another (one Envoy worker),
// the kinds taking turns.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { WASI } from 'node:wasi';
import { argv, exit, stderr, stdout } from 'node:process';
import { performance } from 'node:perf_hooks';
import crypto from 'node:crypto';

const [, , file, jobFile] = argv;
if (!file || !jobFile) {
  stderr.write('usage: node proxyhost.mjs module.wasm job.json\n');
  exit(2);
}
// As Envoy's V8 and run.mjs: TurboFan up front, no Liftoff.
setFlagsFromString('--no-liftoff');
const job = JSON.parse(await readFile(jobFile, 'utf8'));
const enc = new TextEncoder();
const dec = new TextDecoder();
const S = { Ok: 0, NotFound: 1, BadArgument: 2, ParseFailure: 4, CasMismatch: 8, Unimplemented: 12 };

const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
let ex; // the instance's exports
const u8 = () => new Uint8Array(ex.memory.buffer);
const dv = () => new DataView(ex.memory.buffer);
const bytes = (p, n) => u8().slice(p, p + n);
const str = (p, n) => dec.decode(u8().subarray(p, p + n));
const putU32 = (p, v) => dv().setUint32(p, v, true);
const alloc = (n) => (ex.malloc ?? ex.proxy_on_memory_allocate)(n);
// copyOut is copyToPointerSize: the guest's allocator, (0, 0) when empty
// unless always (foreign function results).
function copyOut(b, ptrPtr, sizePtr, always = false) {
  if (b.length === 0 && !always) {
    putU32(ptrPtr, 0);
    putU32(sizePtr, 0);
    return S.Ok;
  }
  const p = alloc(b.length);
  u8().set(b, p);
  putU32(ptrPtr, p);
  putU32(sizePtr, b.length);
  return S.Ok;
}
function pairsOut(pairs) {
  const kv = pairs.map(([k, v]) => [enc.encode(k), enc.encode(v)]);
  let n = 4 + 8 * kv.length;
  for (const [k, v] of kv) n += k.length + v.length + 2;
  const b = new Uint8Array(n);
  const d = new DataView(b.buffer);
  d.setUint32(0, kv.length, true);
  let o = 4;
  for (const [k, v] of kv) {
    d.setUint32(o, k.length, true);
    d.setUint32(o + 4, v.length, true);
    o += 8;
  }
  for (const [k, v] of kv) {
    b.set(k, o);
    o += k.length + 1;
    b.set(v, o);
    o += v.length + 1;
  }
  return kv.length ? b : new Uint8Array(0);
}
function pairsIn(p, n) {
  if (n === 0) return [];
  const d = dv();
  const count = d.getUint32(p, true);
  const out = [];
  let o = p + 4 + 8 * count;
  for (let i = 0; i < count; i++) {
    const kl = d.getUint32(p + 4 + 8 * i, true);
    const vl = d.getUint32(p + 8 + 8 * i, true);
    out.push([str(o, kl), str(o + kl + 1, vl)]);
    o += kl + vl + 2;
  }
  return out;
}

// --- host state ---
const ROOT = 1;
let nextContext = 2;
let cur = null; // the stream being run (null: root context calls)
let pluginConfig = enc.encode(job.configuration ?? '');
let configuring = false;
const shared = new Map(); // key -> {value, cas}
let nextCas = 1;
const metrics = []; // {name, type, value}
const metricIds = new Map();
const logs = [0, 0, 0, 0, 0, 0];

function headerMap(type) {
  if (!cur) return null;
  const h = type === 0 ? cur.req : type === 2 ? cur.resp : null;
  return h && h.headers && (h.avail || cur.logPhase) ? h : null;
}
const lower = (s) => s.toLowerCase();
function property(path) {
  const c = cur;
  const one = path.length === 1;
  switch (path[0]) {
    case 'plugin_name': case 'plugin_root_id': case 'plugin_vm_id':
      return one ? enc.encode(job.plugin_name ?? 'apiguard') : null;
  }
  if (!c) return null;
  const hdr = (k) => {
    const v = c.req.headers.filter(([n]) => n === k).map(([, v]) => v);
    return v.length ? enc.encode(v.join(',')) : null;
  };
  if (path[0] === 'source' && path[1] === 'address' && path.length === 2) return enc.encode('203.0.113.7:40000');
  if (path[0] === 'destination' && path[1] === 'address' && path.length === 2) return enc.encode('10.0.0.1:10000');
  if (path[0] === 'request' && path.length === 3 && path[1] === 'headers') return hdr(path[2]);
  if (path[0] === 'request' && path.length === 2) {
    const m = { path: ':path', host: ':authority', scheme: ':scheme', method: ':method', id: 'x-request-id', useragent: 'user-agent', referer: 'referer' }[path[1]];
    if (m) return hdr(m);
  }
  return null; // NotFound: TLS and everything else this host does not know.
}

// verify_signature (Envoy 1.30+, docs/internals/proxy-wasm.md §4 (k)).
function readVarint(b, o) {
  let v = 0, mul = 1;
  for (;;) {
    if (o >= b.length) return [-1, o];
    const x = b[o++];
    v += (x & 0x7f) * mul;
    mul *= 128;
    if (x < 0x80) return [v, o];
  }
}
const keys = new Map();
function verifySignature(args) {
  const f = {};
  for (let o = 0; o < args.length;) {
    let tag, n;
    [tag, o] = readVarint(args, o);
    if (tag < 0) return null;
    const num = Math.floor(tag / 8), wt = tag & 7;
    if (wt === 2) {
      [n, o] = readVarint(args, o);
      if (n < 0 || o + n > args.length) return null;
      f[num] = args.subarray(o, o + n);
      o += n;
    } else if (wt === 0) {
      [n, o] = readVarint(args, o);
      if (n < 0) return null;
    } else if (wt === 1 || wt === 5) {
      o += wt === 1 ? 8 : 4;
      if (o > args.length) return null;
    } else return null;
  }
  if (!f[2] === !f[5]) return null;
  // Envoy parses the key on every call, cheaply (BoringSSL's
  // EVP_parse_public_key); OpenSSL 3's decoders behind createPublicKey take
  // ~110 µs here, more than the check itself, so the parsed key is kept.
  const id = f[2] ? 'd' + Buffer.from(f[2]).toString('latin1') : 'p' + dec.decode(f[5]);
  let key = keys.get(id);
  if (!key) {
    try {
      key = f[2] ? crypto.createPublicKey({ key: Buffer.from(f[2]), format: 'der', type: 'spki' }) : crypto.createPublicKey(dec.decode(f[5]));
    } catch {
      return null;
    }
    keys.set(id, key);
  }
  const hash = dec.decode(f[1] ?? new Uint8Array(0));
  const result = (ok, err) => {
    if (ok) return Uint8Array.of(0x08, 0x01);
    const e = enc.encode(err);
    return Uint8Array.of(0x12, ...(e.length < 128 ? [e.length] : [(e.length & 0x7f) | 0x80, e.length >> 7]), ...e);
  };
  if (!['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(hash.toLowerCase())) return result(false, `${hash} is not supported.`);
  if (!['rsa', 'ec'].includes(key.asymmetricKeyType)) return result(false, 'Failed to initialize digest verify.');
  let ok = false;
  try {
    ok = crypto.verify(hash.toLowerCase(), f[4] ?? new Uint8Array(0), { key, dsaEncoding: 'der' }, f[3] ?? new Uint8Array(0));
  } catch {
    ok = false;
  }
  return ok ? result(true) : result(false, 'Failed to verify digest. Error code: 0');
}

function metricOf(id) {
  const m = metrics[id >>> 2];
  return m && m.type === (id & 3) ? m : null;
}

// The env imports this host implements; every other import of the module
// gets a stub answering Unimplemented, so instantiation never fails.
const env = {
  proxy_log(level, p, n) {
    if (level > 5) return S.BadArgument;
    logs[level]++;
    if (job.print_logs && level >= (job.log_level ?? 2)) stderr.write(`wasm log: ${str(p, n)}\n`);
    return S.Ok;
  },
  proxy_get_log_level(p) { putU32(p, job.log_level ?? 2); return S.Ok; },
  proxy_set_tick_period_milliseconds() { return S.Ok; },
  proxy_set_effective_context(id) {
    if (id === ROOT) { cur = null; return S.Ok; }
    if (cur && cur.id === id) return S.Ok;
    return S.BadArgument;
  },
  proxy_done() { return S.NotFound; },
  proxy_get_property(p, n, ptrPtr, sizePtr) {
    const v = property(str(p, n).split('\0'));
    return v ? copyOut(v, ptrPtr, sizePtr) : S.NotFound;
  },
  proxy_set_property() { return cur ? S.Ok : S.NotFound; },
  proxy_get_buffer_status(type, lenPtr, flagsPtr) {
    const b = buffer(type);
    if (!b) return S.NotFound;
    putU32(lenPtr, b.length);
    putU32(flagsPtr, 0);
    return S.Ok;
  },
  proxy_get_buffer_bytes(type, start, max, ptrPtr, sizePtr) {
    const b = buffer(type);
    if (!b) return S.NotFound;
    return copyOut(b.subarray(Math.min(start, b.length), Math.min(b.length, start + max)), ptrPtr, sizePtr);
  },
  proxy_set_buffer_bytes(type, start, size, p, n) {
    const h = type === 0 ? cur?.req : type === 1 ? cur?.resp : null;
    if (!h || !h.body) return S.BadArgument;
    const data = bytes(p, n);
    if (start === 0) h.body = concat(data, h.body.subarray(Math.min(size, h.body.length)));
    else if (start >= h.body.length) h.body = concat(h.body, data);
    else return S.BadArgument;
    return S.Ok;
  },
  proxy_get_header_map_pairs(type, ptrPtr, sizePtr) {
    const h = headerMap(type);
    return h ? copyOut(pairsOut(h.headers), ptrPtr, sizePtr) : S.BadArgument;
  },
  proxy_get_header_map_size(type, p) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    putU32(p, pairsOut(h.headers).length);
    return S.Ok;
  },
  proxy_get_header_map_value(type, kp, kn, ptrPtr, sizePtr) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    const k = lower(str(kp, kn));
    const pair = h.headers.find(([n]) => n === k);
    return pair ? copyOut(enc.encode(pair[1]), ptrPtr, sizePtr) : S.NotFound;
  },
  proxy_add_header_map_value(type, kp, kn, vp, vn) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    h.headers.push([lower(str(kp, kn)), str(vp, vn)]);
    return S.Ok;
  },
  proxy_replace_header_map_value(type, kp, kn, vp, vn) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    const k = lower(str(kp, kn)); // as the emulator: remove, then add
    h.headers = h.headers.filter(([n]) => n !== k);
    h.headers.push([k, str(vp, vn)]);
    return S.Ok;
  },
  proxy_remove_header_map_value(type, kp, kn) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    const k = lower(str(kp, kn));
    h.headers = h.headers.filter(([n]) => n !== k);
    return S.Ok;
  },
  proxy_set_header_map_pairs(type, p, n) {
    const h = headerMap(type);
    if (!h) return S.BadArgument;
    h.headers = pairsIn(p, n).map(([k, v]) => [lower(k), v]);
    return S.Ok;
  },
  proxy_send_local_response(code, dp, dn, bp, bn, hp, hn) {
    if (!cur) return S.NotFound;
    cur.pendingReply = { code, details: str(dp, dn), body: bytes(bp, bn), headers: pairsIn(hp, hn) };
    return S.Ok;
  },
  proxy_continue_stream(t) {
    if (!cur || t > 1) return t > 1 ? S.Unimplemented : S.NotFound;
    (t === 0 ? cur.req : cur.resp).continued = true;
    return S.Ok;
  },
  proxy_close_stream() { if (cur) cur.reset = true; return S.Ok; },
  proxy_get_shared_data(kp, kn, ptrPtr, sizePtr, casPtr) {
    const e = shared.get(str(kp, kn));
    if (!e) return S.NotFound;
    copyOut(e.value, ptrPtr, sizePtr);
    putU32(casPtr, e.cas);
    return S.Ok;
  },
  proxy_set_shared_data(kp, kn, vp, vn, cas) {
    const k = str(kp, kn);
    const e = shared.get(k);
    if (cas !== 0 && e && e.cas !== cas) return S.CasMismatch;
    shared.set(k, { value: bytes(vp, vn), cas: nextCas++ });
    return S.Ok;
  },
  proxy_define_metric(type, p, n, idPtr) {
    if (type > 2) return S.BadArgument;
    const name = str(p, n);
    let id = metricIds.get(name);
    if (id === undefined) {
      id = (metrics.length << 2) | type;
      metrics.push({ name, type, value: 0n });
      metricIds.set(name, id);
    }
    putU32(idPtr, id);
    return S.Ok;
  },
  proxy_increment_metric(id, delta) {
    const m = metricOf(id);
    if (!m || m.type === 2 || (m.type === 0 && delta <= 0n)) return S.BadArgument;
    m.value += delta;
    return S.Ok;
  },
  proxy_record_metric(id, v) {
    const m = metricOf(id);
    if (!m) return S.NotFound;
    m.value = m.type === 1 ? v : m.value + (m.type === 0 ? v : 1n);
    return S.Ok;
  },
  proxy_get_metric(id, p) {
    const m = metricOf(id);
    if (!m || m.type === 2) return S.BadArgument;
    dv().setBigUint64(p, BigInt.asUintN(64, m.value), true);
    return S.Ok;
  },
  proxy_call_foreign_function(np, nn, ap, an, ptrPtr, sizePtr) {
    if (str(np, nn) !== 'verify_signature') return S.NotFound;
    const t0 = performance.now();
    const r = verifySignature(bytes(ap, an));
    if (cur) cur.crypto += performance.now() - t0;
    return r ? copyOut(r, ptrPtr, sizePtr, true) : S.BadArgument;
  },
};
function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
function buffer(type) {
  if (type === 7) return configuring ? pluginConfig : null;
  if (type === 6) return configuring ? new Uint8Array(0) : null;
  if (type === 0 || type === 1) {
    if (!cur) return null;
    return (type === 0 ? cur.req : cur.resp).body ?? new Uint8Array(0);
  }
  return null;
}

const imports = { env: {}, wasi_snapshot_preview1: wasi.wasiImport };
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.kind !== 'function') continue;
  const ns = (imports[imp.module] ??= {});
  if (imp.module === 'env') ns[imp.name] = env[imp.name] ?? (() => S.Unimplemented);
  else ns[imp.name] ??= () => 52; // ENOSYS for a WASI function Node lacks
}
const instance = await WebAssembly.instantiate(module, imports);
ex = instance.exports;
wasi.initialize(instance);
ex.proxy_on_context_create(ROOT, 0);
configuring = true;
if (!ex.proxy_on_vm_start(ROOT, 0) || !ex.proxy_on_configure(ROOT, pluginConfig.length)) {
  stderr.write('the plugin refused its configuration\n');
  exit(1);
}
configuring = false;

// --- one request, the filter manager's part ---
const call = (f, ...a) => {
  const saved = cur;
  const r = f(...a);
  cur = saved; // the effective context lasts one VM call
  return r;
};
function localReply(s, r) {
  s.pendingReply = null;
  s.local = r.details;
  if (s.resp.sent) { s.reset = true; s.done = true; return; } // headers sent: a reset
  if (s.resp.headers) { // headers exist, not sent: straight to the client
    s.resp.headers = [[':status', String(r.code)], ...r.headers];
    s.resp.body = r.body;
    s.done = true;
    return;
  }
  const hs = [[':status', String(r.code)], ...r.headers.map(([k, v]) => [lower(k), v])];
  if (r.body.length) {
    hs.push(['content-length', String(r.body.length)]);
    if (!hs.some(([k]) => k === 'content-type')) hs.push(['content-type', 'text/plain']);
  }
  s.done = true;
  responsePhase(s, hs, r.body);
}
function responsePhase(s, hs, body) {
  s.resp.headers = hs;
  s.resp.avail = true;
  let r = call(ex.proxy_on_response_headers, s.id, hs.length, body.length ? 0 : 1);
  if (s.pendingReply) return localReply(s, s.pendingReply);
  if (r === 0) s.resp.sent = true;
  if (body.length && (r === 0 || r === 1)) {
    s.resp.body = body;
    r = call(ex.proxy_on_response_body, s.id, body.length, 1);
    if (s.pendingReply) return localReply(s, s.pendingReply);
  } else s.resp.body = body;
  s.resp.sent = true;
}
function request(kind) {
  const s = cur = {
    id: nextContext++, req: { avail: true }, resp: {}, logPhase: false, crypto: 0,
  };
  // Bodies are encoded once per kind: the host's copies are not the module's work.
  const body = (kind.bodyBytes ??= enc.encode(kind.body ?? ''));
  s.req.headers = [[':method', kind.method ?? 'GET'], [':scheme', 'http'], [':authority', kind.authority ?? 'api.example.com'], [':path', kind.path], ...(kind.headers ?? []).map(([k, v]) => [lower(k), v])];
  ex.proxy_on_context_create(s.id, ROOT);
  cur = s;
  let r = call(ex.proxy_on_request_headers, s.id, s.req.headers.length, body.length ? 0 : 1);
  if (s.pendingReply) localReply(s, s.pendingReply);
  if (!s.done && body.length && (r === 0 || r === 1 || s.req.continued)) {
    s.req.body = body;
    r = call(ex.proxy_on_request_body, s.id, body.length, 1);
    if (s.pendingReply) localReply(s, s.pendingReply);
  }
  if (!s.done && (r === 0 || s.req.continued)) {
    s.upstream = true;
    s.req.avail = false;
    const resp = kind.response ?? {};
    responsePhase(s, [[':status', String(resp.status ?? 200)], ...(resp.headers ?? []).map(([k, v]) => [lower(k), v])], (resp.bodyBytes ??= enc.encode(resp.body ?? '')));
  }
  s.logPhase = true;
  cur = s;
  call(ex.proxy_on_log, s.id);
  call(ex.proxy_on_done, s.id);
  call(ex.proxy_on_delete, s.id);
  cur = null;
  const status = s.reset ? 'reset' : s.resp.headers ? Number(s.resp.headers.find(([k]) => k === ':status')?.[1]) : 'stalled';
  return { status, upstream: !!s.upstream, local: s.local ?? '', crypto: s.crypto, body: s.resp.body ?? new Uint8Array(0) };
}

// The kinds take turns, request by request, so that a machine's load
// falls on every kind alike and their ratios hold.
const n = job.iterations ?? 0;
const runs = job.kinds.map((kind) => ({ kind, first: request(kind), times: new Array(n), cryptoTimes: new Array(n), same: true }));
// Untimed: the JS host's own code and V8's caches warm up first.
for (let i = 0; i < (job.warmup ?? n); i++) for (const r of runs) request(r.kind);
for (let i = 0; i < n; i++) {
  for (const r of runs) {
    const t0 = performance.now();
    const o = request(r.kind);
    r.times[i] = performance.now() - t0;
    r.cryptoTimes[i] = o.crypto;
    r.same &&= o.status === r.first.status && o.upstream === r.first.upstream;
  }
}
const us = (ms) => Math.round(ms * 1000 * 10) / 10;
const median = (a) => (a.length ? us(a.sort((x, y) => x - y)[a.length >> 1]) : null);
const out = {
  kinds: runs.map(({ kind, first, times, cryptoTimes, same }) => ({
    name: kind.name, status: first.status, upstream: first.upstream, local: first.local,
    bodyLength: first.body.length,
    bodySha256: crypto.createHash('sha256').update(first.body).digest('hex'), iterations: n, sameOutcome: same,
    medianUs: median(times),
    // the part of it inside verify_signature (node:crypto, not the module)
    medianForeignUs: median(cryptoTimes),
  })),
};
out.metrics = Object.fromEntries(metrics.filter((m) => m.type !== 2).map((m) => [m.name, Number(m.value)]));
out.logs = logs;
// exit once written: a pipe's writes are asynchronous.
stdout.write(JSON.stringify(out, null, 1) + '\n', () => exit(0));
