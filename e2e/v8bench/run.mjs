// Runs a Go test binary built for wasip1 (`GOOS=wasip1 GOARCH=wasm go test
// -c`) in Node.js's V8, the engine Envoy embeds for Wasm, through Node's own
// WASI preview1 (no npm package): `make bench-v8` uses it beside
// `e2e/cmd/wasmbench` (wazero) so that one run shows the same benchmarks
// natively, on wazero and on V8 (docs/performance.md "Measuring").
//
//	node --no-warnings e2e/v8bench/run.mjs pkg.wasm -test.run '^$' -test.bench .
//
// The current directory is the guest's root, as with wasmbench, so a
// package's testdata is found. The guest's clock is the wall clock (Node's
// WASI has no other): run it on a quiet machine, or repeat and take medians.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { WASI } from 'node:wasi';
import { argv, exit, stderr } from 'node:process';

const [, , file, ...args] = argv;
if (!file) {
  stderr.write('usage: node run.mjs test.wasm [test flags]\n');
  exit(2);
}
// As Envoy's V8 (proxy-wasm-cpp-host sets v8_flags.liftoff = false): every
// function compiled by TurboFan up front, so no benchmark times baseline
// code still waiting for its tier-up on a busy machine.
setFlagsFromString('--no-liftoff');
const wasi = new WASI({
  version: 'preview1',
  args: ['test.wasm', ...args],
  env: { PWD: '/' },
  preopens: { '/': '.' },
  returnOnExit: false,
});
const module = await WebAssembly.compile(await readFile(file));
// proc_exit ends the process right there, without unwinding the guest's
// stack back through V8: Node 20's own ways (returnOnExit, or its exit
// from inside the call) crashed on the way out now and then after every
// benchmark had run (a segmentation fault after PASS, filter/jwt's binary
// most often). The guest's output is written synchronously, so nothing is
// lost.
// wasi.wasiImport rather than getImportObject(), which Node added only in
// 19.8: Debian's nodejs package is older.
const imports = { wasi_snapshot_preview1: { ...wasi.wasiImport, proc_exit: (code) => process.reallyExit(code) } };
const instance = await WebAssembly.instantiate(module, imports);
wasi.start(instance);
exit(0);
