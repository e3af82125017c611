// churn.mjs — the seed's create/load/drop workload against the peer engine (DuckDB, through
// @duckdb/node-api), for a side-by-side run with eider-churn.
//
//   node bench/churn/churn.mjs [DURATION] [--rate N] [--workers N] [--rows N] [--tables N]
//                              [--memory-limit SIZE]
//
// The same workload as tools/churn: one in-memory database; tasks submitted at a fixed rate by a
// rate limiter with absolute deadlines; at most `workers` tasks at once (async tasks: DuckDB runs
// the queries on its own threads); each ingestion task opens its own connection, creates
// Tnnnnnnnnn (id BIGINT, message VARCHAR), appends `rows` rows (i, 'Hello, %09d!') with the
// appender, checks count(*) and disconnects; once the counter reaches `tables`, each submission
// also drops the table `tables` behind it on its own connection. The process's RSS is printed
// once a second as `YYYY-MM-DD HH:MM:SS, rss_kib`, then a report in lines starting with '#'.
import { DuckDBInstance } from '@duckdb/node-api';

function usage(msg) {
  if (msg) console.error(`churn.mjs: ${msg}`);
  console.error('usage: node churn.mjs [DURATION] [--rate N] [--workers N] [--rows N] [--tables N] [--memory-limit SIZE]');
  process.exit(2);
}

// ISO-8601 duration as java.time.Duration: PnDTnHnMn.nS
function parseDuration(text) {
  const m = /^\+?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,9})?)S)?)?$/i.exec(text);
  if (!m || /T$/i.test(text) || text.toUpperCase() === 'P' || m.slice(1).every((x) => x === undefined)) return null;
  const n = (x) => (x === undefined ? 0 : Number(x.replace(',', '.')));
  return n(m[1]) * 86400 + n(m[2]) * 3600 + n(m[3]) * 60 + n(m[4]);
}

const opt = { duration: 3600, rate: 5, workers: 4, rows: 10000, tables: 100, memoryLimit: null };
{
  const args = process.argv.slice(2);
  let haveDuration = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const v = args[++i];
      if (v === undefined) usage(`option ${a} needs a value`);
      const num = Number(v);
      if (a === '--memory-limit') opt.memoryLimit = v;
      else if (!(num > 0) && !(a === '--rows' && num === 0)) usage(`bad value for ${a}: '${v}'`);
      else if (a === '--rate') opt.rate = num;
      else if (a === '--workers') opt.workers = Math.floor(num);
      else if (a === '--rows') opt.rows = Math.floor(num);
      else if (a === '--tables') opt.tables = Math.floor(num);
      else usage(`unknown option ${a}`);
    } else if (!haveDuration) {
      const d = parseDuration(a);
      if (d === null) usage(`bad duration '${a}': expected an ISO-8601 duration such as PT30S, PT10M, PT1H or P1D`);
      opt.duration = d;
      haveDuration = true;
    } else usage(`unexpected argument '${a}'`);
  }
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
const name = (n) => `T${pad(n, 9)}`;
const rssKib = () => Math.round(process.memoryUsage().rss / 1024);
function printSample(rss) {
  const d = new Date();
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  process.stdout.write(`${stamp}, ${rss}\n`);
}
const now = () => performance.now() / 1000;
const sleep = (s) => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));

const counters = { created: 0, loaded: 0, rows: 0, dropStatements: 0, errors: 0 };
function error(msg) {
  counters.errors++;
  process.stderr.write(`churn: error: ${msg}\n`);
}

const rssStart = rssKib();
const instance = await DuckDBInstance.create(':memory:', opt.memoryLimit ? { memory_limit: opt.memoryLimit } : {});

async function ingest(n) {
  const t = name(n);
  const con = await instance.connect();
  try {
    await con.run(`CREATE TABLE ${t} (id BIGINT, message VARCHAR)`);
    counters.created++;
    const app = await con.createAppender(t);
    for (let i = 0; i < opt.rows; i++) {
      app.appendBigInt(BigInt(i));
      app.appendVarchar(`Hello, ${pad(i, 9)}!`);
      app.endRow();
    }
    app.closeSync();
    counters.rows += opt.rows;
    const r = await con.runAndReadAll(`SELECT count(*) FROM ${t}`);
    const c = Number(r.getRows()[0][0]);
    if (c !== opt.rows) error(`${t}: count(*) is ${c}, expected ${opt.rows}`);
    else counters.loaded++;
  } catch (e) {
    error(`${t}: ${e.message}`);
  } finally {
    con.disconnectSync();
  }
}

async function drop(n) {
  const con = await instance.connect();
  try {
    await con.run(`DROP TABLE IF EXISTS ${name(n)}`);
    counters.dropStatements++;
  } catch (e) {
    error(`drop ${name(n)}: ${e.message}`);
  } finally {
    con.disconnectSync();
  }
}

// the pool: at most `workers` tasks run at once, the rest wait in a queue
const queue = [];
let running = 0;
let idleResolve = null;
function pump() {
  while (running < opt.workers && queue.length) {
    const task = queue.shift();
    running++;
    task().finally(() => {
      running--;
      pump();
      if (!running && !queue.length && idleResolve) idleResolve();
    });
  }
}
const submit = (task) => {
  queue.push(task);
  pump();
};

let stop = false;
process.on('SIGINT', () => {
  stop = true;
  process.stderr.write('churn: interrupted, shutting down\n');
});

// the rate limiter and the sampler, on absolute deadlines
const start = now();
const end = start + opt.duration;
const interval = 1 / opt.rate;
let nextSubmit = start, nextSample = start, counter = 0;
const samples = [];
while (!stop) {
  const t = now();
  if (t >= end) break;
  if (t >= nextSample) {
    const rss = rssKib();
    samples.push([t - start, rss]);
    printSample(rss);
    nextSample += 1;
    if (nextSample < t) nextSample = t + 1;
  }
  if (t >= nextSubmit) {
    const n = counter++;
    submit(() => ingest(n));
    if (n >= opt.tables) submit(() => drop(n - opt.tables));
    nextSubmit += interval;
    if (nextSubmit < t - 1) nextSubmit = t;
    continue;
  }
  await sleep(Math.min(nextSubmit, nextSample, end) - now());
}
const elapsed = now() - start;
const rssEnd = rssKib();
samples.push([elapsed, rssEnd]);
printSample(rssEnd);

// drain within 5 s, then drop what is left
const drainStart = now();
if (running || queue.length) {
  await Promise.race([new Promise((r) => (idleResolve = r)), sleep(5)]);
}
const abandoned = queue.length;
queue.length = 0;
if (running) error(`the task pool did not drain within 5 s (${running} running, ${abandoned} discarded)`);
const con = await instance.connect();
const left = (await con.runAndReadAll('SHOW TABLES')).getRows().map((r) => String(r[0]));
for (const t of left) await con.run(`DROP TABLE "${t}"`);
con.disconnectSync();
const rssDropped = rssKib();

function window(from) {
  const w = samples.filter(([t]) => t >= from);
  const n = w.length;
  const st = w.reduce((a, [t]) => a + t, 0), sr = w.reduce((a, [, r]) => a + r, 0);
  const stt = w.reduce((a, [t]) => a + t * t, 0), str = w.reduce((a, [t, r]) => a + t * r, 0);
  const den = n * stt - st * st;
  const rs = w.map(([, r]) => r);
  return { n, slope: n >= 2 && den > 0 ? ((n * str - st * sr) / den) * 60 : 0, min: Math.min(...rs), max: Math.max(...rs), mean: sr / n };
}
const w = window(elapsed / 2);
const warm = (samples.find(([t]) => t >= elapsed / 2) || [0, 0])[1];
console.log(`# duckdb-churn (node-api): ${elapsed.toFixed(1)} s, rate ${opt.rate}/s, ${opt.workers} workers, ${opt.rows} rows per table, ${opt.tables} tables kept`);
console.log(`# tables submitted ${counter}, created ${counters.created}, loaded and checked ${counters.loaded}, drop statements ${counters.dropStatements}, dropped at shutdown ${left.length}`);
console.log(`# rows loaded ${counters.rows}, error lines ${counters.errors}, drained in ${(now() - drainStart).toFixed(3)} s`);
console.log(`# RSS KiB: start ${rssStart}, after warm-up (t=${(elapsed / 2).toFixed(0)} s) ${warm}, end ${rssEnd}, after the final drops ${rssDropped}`);
console.log(`# second half (${w.n} samples): slope ${w.slope.toFixed(1)} KiB/min, min ${w.min}, max ${w.max}, mean ${w.mean.toFixed(0)}, spread ${w.max - w.min} KiB`);
instance.closeSync();
process.exit(0);
