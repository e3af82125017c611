// run_query.mjs — runs one benchmark query file on the peer engine (DuckDB through
// @duckdb/node-api, installed into bench/node_modules by bench/setup) and prints one
// machine-readable line, in the same format as bench_bench_query (see bench/bench_query.c):
//
//   node bench/peer/run_query.mjs --file QUERY.sql [--threads N] [--memory-limit SIZE] [--repeat N]
//
//   RESULT ok <median s> <min s> <peak RSS KiB> <result rows> <check> <times> <node baseline RSS KiB>
//   RESULT error <message>
//
// Peak RSS is VmHWM of the node process as it is (setup included, nothing subtracted). The last
// field is node's own resident size before the DuckDB module was loaded, for reference. Results
// are materialized inside DuckDB (connection.run), not converted to JavaScript values.
import { readFileSync } from 'node:fs';

function statusKib(field) {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : -1;
}

const baselineKib = statusKib('VmRSS');

function usage() {
  process.stderr.write('usage: node run_query.mjs --file QUERY.sql [--threads N] [--memory-limit SIZE] [--repeat N]\n');
  process.exit(2);
}

function oneLine(s) {
  return String(s).replace(/[\t\r\n]+/g, ' ');
}

function printError(prefix, e) {
  process.stdout.write(`RESULT\terror\t${prefix}${oneLine(e && e.message ? e.message : e)}\n`);
}

// the query file format of bench/bench_query.c: sections opened by "-- @setup", "-- @timed",
// "-- @cleanup"; other "--" lines are comments; a statement ends with ';' at the end of a line
function parseQueryFile(text) {
  const sections = { setup: [], timed: [], cleanup: [] };
  let section = 'setup';
  let current = null;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('--')) {
      if (trimmed.startsWith('-- @setup')) section = 'setup';
      else if (trimmed.startsWith('-- @timed')) section = 'timed';
      else if (trimmed.startsWith('-- @cleanup')) section = 'cleanup';
      if (current === null) continue;
    }
    if (current === null && trimmed === '') continue;
    current = current === null ? line : `${current}\n${line}`;
    if (line.trimEnd().endsWith(';')) {
      sections[section].push(current.trimEnd());
      current = null;
    }
  }
  if (current !== null && current.trim() !== '') sections[section].push(current);
  return sections;
}

const args = process.argv.slice(2);
let file = null;
let threads = null;
let memoryLimit = null;
let repeat = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--file' && i + 1 < args.length) file = args[++i];
  else if (args[i] === '--threads' && i + 1 < args.length) threads = args[++i];
  else if (args[i] === '--memory-limit' && i + 1 < args.length) memoryLimit = args[++i];
  else if (args[i] === '--repeat' && i + 1 < args.length) {
    repeat = Number(args[++i]);
    if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000) usage();
  } else usage();
}
if (!file) usage();

const sections = parseQueryFile(readFileSync(file, 'utf8'));
if (sections.timed.length === 0) {
  process.stderr.write(`run_query.mjs: '${file}' has no statement under '-- @timed'\n`);
  process.exit(2);
}

async function runList(con, list) {
  let last = null;
  for (const sql of list) last = await con.run(sql);
  return last;
}

async function main() {
  let DuckDBInstance;
  try {
    ({ DuckDBInstance } = await import('@duckdb/node-api'));
  } catch (e) {
    printError('peer not installed (run bench/setup): ', e);
    return;
  }
  const options = {};
  if (threads !== null) options.threads = String(threads);
  if (memoryLimit !== null) options.memory_limit = String(memoryLimit);
  let instance;
  let con;
  try {
    instance = await DuckDBInstance.create(':memory:', options);
    con = await instance.connect();
  } catch (e) {
    printError('open: ', e);
    return;
  }
  try {
    await runList(con, sections.setup);
  } catch (e) {
    printError('setup: ', e);
    return;
  }
  const times = [];
  let rows = 0;
  let check = '-';
  for (let rep = 0; rep < repeat; rep++) {
    let result;
    const t0 = process.hrtime.bigint();
    try {
      result = await runList(con, sections.timed);
    } catch (e) {
      printError('', e);
      return;
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    rows = result.rowCount;
    if (rows === 1) {
      const row = result.getChunk(0).getRows()[0];
      check = oneLine(row.map((v) => (v === null ? 'NULL' : String(v))).join('|'));
    }
    try {
      await runList(con, sections.cleanup);
    } catch (e) {
      printError('cleanup: ', e);
      return;
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const fields = ['RESULT', 'ok', median.toFixed(6), sorted[0].toFixed(6), statusKib('VmHWM'), rows, check,
    times.map((t) => t.toFixed(6)).join(','), baselineKib];
  process.stdout.write(`${fields.join('\t')}\n`);
  con.closeSync?.();
  instance.closeSync?.();
}

await main();
