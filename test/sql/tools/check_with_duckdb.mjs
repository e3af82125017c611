// check_with_duckdb.mjs — runs sqllogictest (.test) files against DuckDB and reports every place
// where DuckDB's answer differs from the file's expectations.
//
// Usage (the script needs the @duckdb/node-api package, installed e.g. in /tmp/peer):
//   cd /tmp/peer && node /work/main/test/sql/tools/check_with_duckdb.mjs [options] FILE.test...
//   The package is looked up from the current directory, so run it from a directory whose
//   node_modules holds @duckdb/node-api, or set DUCKDB_NODE_API=/path/to/node_modules/@duckdb/node-api.
// Options:
//   --write     rewrite the expected rows of every query in the file with DuckDB's answer
//               (statements and error expectations are left alone and still checked)
//   --verbose   print every record as it runs
//   --show-errors  print DuckDB's full message for every `statement error`
// Exit status: 0 when every file matches, 1 otherwise.
//
// Dialect understood: `statement ok|error|maybe`, `query <letters> [nosort|rowsort|valuesort]`,
// `----`, `loop var a b` / `foreach var v1 v2 ...` / `endloop` (with ${var} substitution),
// `mode skip` / `mode unskip`, `onlyif X` / `skipif X` (this checker is the engine `duckdb`),
// `require` (ignored), `halt`, `# comments`.
// Markers for eider-only behaviour (skipped here, run by eider's own runner):
//   `# eider-only` on the line just before a record: the checker skips that record.
//   `# duckdb-check: skip-file` anywhere in a file: the checker skips the whole file.
// Values are rendered as DuckDB's sqllogictest runner renders them: NULL as `NULL`, the empty
// string as `(empty)`, booleans true/false, doubles as DuckDB's own CAST(x AS VARCHAR) text.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

// The package is resolved from the current directory (or DUCKDB_NODE_API), not from this file's.
const require = createRequire(path.join(process.cwd(), 'check_with_duckdb.cjs'));
const apiPath = process.env.DUCKDB_NODE_API
  ? path.join(process.env.DUCKDB_NODE_API, 'lib', 'index.js')
  : require.resolve('@duckdb/node-api');
const api = await import(pathToFileURL(apiPath).href);
const { DuckDBInstance } = api;

const args = process.argv.slice(2);
const opt = { write: false, verbose: false, showErrors: false };
const files = [];
for (const a of args) {
  if (a === '--write') opt.write = true;
  else if (a === '--verbose') opt.verbose = true;
  else if (a === '--show-errors') opt.showErrors = true;
  else files.push(a);
}
if (files.length === 0) {
  console.error('usage: node check_with_duckdb.mjs [--write] [--verbose] [--show-errors] FILE.test...');
  process.exit(2);
}

// ---------------------------------------------------------------- parsing

function parseFile(text) {
  const lines = text.split('\n');
  const root = [];
  const stack = [root];
  let i = 0;
  let eiderOnly = false;
  const n = lines.length;
  const cur = () => stack[stack.length - 1];
  while (i < n) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === '') { eiderOnly = false; i++; continue; }
    if (line.startsWith('#')) {
      if (/^#\s*eider-only\b/.test(line)) eiderOnly = true;
      i++;
      continue;
    }
    const tok = line.split(/\s+/);
    const head = tok[0];
    const startLine = i + 1;
    if (head === 'statement' || head === 'query') {
      const rec = { kind: head, line: startLine, eiderOnly, sql: [], expected: [], hasDashes: false };
      if (head === 'statement') rec.mode = tok[1] || 'ok';
      else { rec.types = tok[1] || ''; rec.sort = tok[2] || 'nosort'; }
      i++;
      while (i < n && lines[i].trim() !== '' && lines[i].trim() !== '----') { rec.sql.push(lines[i]); i++; }
      if (i < n && lines[i].trim() === '----') {
        rec.hasDashes = true;
        i++;
        rec.resultStart = i; // 0-based index of the first expected line
        while (i < n && lines[i] !== '' ) { rec.expected.push(lines[i]); i++; }
        rec.resultEnd = i; // exclusive
      } else {
        rec.resultStart = rec.resultEnd = i;
      }
      cur().push(rec);
      eiderOnly = false;
      continue;
    }
    if (head === 'loop') {
      const rec = { kind: 'loop', line: startLine, var: tok[1], from: Number(tok[2]), to: Number(tok[3]), body: [], eiderOnly };
      cur().push(rec); stack.push(rec.body); i++; eiderOnly = false; continue;
    }
    if (head === 'foreach') {
      const rec = { kind: 'foreach', line: startLine, var: tok[1], values: tok.slice(2), body: [], eiderOnly };
      cur().push(rec); stack.push(rec.body); i++; eiderOnly = false; continue;
    }
    if (head === 'endloop') {
      if (stack.length === 1) throw new Error(`line ${startLine}: endloop without loop`);
      stack.pop(); i++; continue;
    }
    if (head === 'mode') { cur().push({ kind: 'mode', line: startLine, value: tok[1] }); i++; continue; }
    if (head === 'halt') { cur().push({ kind: 'halt', line: startLine }); i++; continue; }
    if (head === 'require' || head === 'load' || head === 'restart' || head === 'reconnect') { i++; continue; }
    if (head === 'onlyif' || head === 'skipif') {
      // this checker is the engine "duckdb": `onlyif eider` skips the next record here
      const named = (tok[1] || '').toLowerCase() === 'duckdb';
      if ((head === 'onlyif' && !named) || (head === 'skipif' && named)) eiderOnly = true;
      i++;
      continue;
    }
    throw new Error(`line ${startLine}: unknown directive '${head}'`);
  }
  if (stack.length !== 1) throw new Error('loop without endloop');
  return { lines, records: root };
}

// ---------------------------------------------------------------- rendering

const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT',
  'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);

function typeLetter(typeName) {
  if (INT_TYPES.has(typeName)) return 'I';
  if (typeName === 'DOUBLE' || typeName === 'FLOAT' || typeName.startsWith('DECIMAL')) return 'R';
  return 'T';
}

function jsNumberLiteral(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  return String(x);
}

// Renders a result: rows of strings. Doubles go through DuckDB's own CAST(... AS VARCHAR).
async function renderResult(con, reader) {
  const types = reader.columnTypes().map((t) => t.toString());
  const rows = reader.getRows();
  const floats = new Map();
  for (const row of rows) {
    row.forEach((v, c) => {
      if (v !== null && (types[c] === 'DOUBLE' || types[c] === 'FLOAT')) floats.set(types[c] + ':' + jsNumberLiteral(v), null);
    });
  }
  if (floats.size > 0) {
    const keys = [...floats.keys()];
    const values = keys.map((k) => {
      const [t, lit] = k.split(/:(.*)/s);
      return `(CAST(CAST('${lit}' AS ${t}) AS VARCHAR))`;
    });
    const r = await con.runAndReadAll(`SELECT * FROM (VALUES ${values.join(', ')})`);
    const out = r.getRows();
    keys.forEach((k, idx) => floats.set(k, out[idx][0]));
  }
  const text = rows.map((row) => row.map((v, c) => {
    if (v === null) return 'NULL';
    if (types[c] === 'DOUBLE' || types[c] === 'FLOAT') return floats.get(types[c] + ':' + jsNumberLiteral(v));
    let s = typeof v === 'string' ? v : String(v);
    if (s === '') s = '(empty)';
    return s;
  }));
  return { types, rows: text };
}

function cmpStr(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
function sortRows(rows) {
  return [...rows].sort((x, y) => {
    for (let c = 0; c < Math.min(x.length, y.length); c++) {
      const d = cmpStr(x[c], y[c]);
      if (d) return d;
    }
    return x.length - y.length;
  });
}

// ---------------------------------------------------------------- running

function subst(s, vars) {
  return s.replace(/\$\{(\w+)\}/g, (m, name) => (name in vars ? vars[name] : m));
}

async function runFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (/^#\s*duckdb-check:\s*skip-file/m.test(text)) {
    console.log(`${file}: skipped (duckdb-check: skip-file)`);
    return { ok: true, skipped: true };
  }
  const { lines, records } = parseFile(text);
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const problems = [];
  const rewrites = new Map(); // record -> new expected lines
  let skipMode = false;
  let halted = false;
  let count = 0;
  const t0 = Date.now();

  async function runList(list, vars) {
    for (const rec of list) {
      if (halted) return;
      if (rec.kind === 'mode') { skipMode = rec.value === 'skip'; continue; }
      if (rec.kind === 'halt') { halted = true; return; }
      if (rec.kind === 'loop') {
        for (let v = rec.from; v < rec.to; v++) await runList(rec.body, { ...vars, [rec.var]: String(v) });
        continue;
      }
      if (rec.kind === 'foreach') {
        for (const v of rec.values) await runList(rec.body, { ...vars, [rec.var]: v });
        continue;
      }
      if (skipMode || rec.eiderOnly) continue;
      const sql = subst(rec.sql.join('\n'), vars);
      const where = `${file}:${rec.line}` + (Object.keys(vars).length ? ` [${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(' ')}]` : '');
      if (opt.verbose) console.log(`-- ${where}\n${sql}`);
      count++;
      if (rec.kind === 'statement') {
        let err = null;
        try { await con.run(sql); } catch (e) { err = e; }
        if (rec.mode === 'ok' && err) problems.push(`${where}: statement ok failed: ${err.message.split('\n')[0]}`);
        if (rec.mode === 'error') {
          if (!err) problems.push(`${where}: statement error succeeded`);
          else {
            if (opt.showErrors) console.log(`${where}: error: ${JSON.stringify(err.message)}`);
            const want = subst(rec.expected.join('\n'), vars).trim();
            if (want && !err.message.includes(want)) {
              problems.push(`${where}: error message mismatch\n   expected substring: ${want}\n   DuckDB said: ${err.message.split('\n')[0]}`);
            }
          }
        }
        continue;
      }
      // query
      let res;
      try {
        const reader = await con.runAndReadAll(sql);
        res = await renderResult(con, reader);
      } catch (e) {
        problems.push(`${where}: query failed: ${e.message.split('\n')[0]}`);
        continue;
      }
      const letters = rec.types;
      if (letters.length !== res.types.length) {
        problems.push(`${where}: ${letters.length} type letters but ${res.types.length} columns (${res.types.join(', ')})`);
      } else {
        const want = res.types.map(typeLetter).join('');
        if (want !== letters) problems.push(`${where}: type letters ${letters}, DuckDB types ${res.types.join(', ')} suggest ${want}`);
      }
      if (res.rows.some((r) => r.some((v) => v !== v.trim() || v.includes('\n') || v.includes('\t')))) {
        problems.push(`${where}: a value has leading/trailing white space, a tab or a newline (fragile in .test files)`);
      }
      let actual = res.rows;
      let expectedRows = rec.expected.map((l) => subst(l, vars).split('\t'));
      if (rec.sort === 'rowsort') {
        actual = sortRows(actual);
        const sortedExp = sortRows(expectedRows);
        if (sortedExp.map((r) => r.join('\t')).join('\n') !== expectedRows.map((r) => r.join('\t')).join('\n')) {
          problems.push(`${where}: rowsort expectations are not written in sorted order`);
        }
        expectedRows = sortedExp;
      } else if (rec.sort === 'valuesort') {
        actual = [actual.flat().sort(cmpStr)];
        expectedRows = [expectedRows.flat().sort(cmpStr)];
      }
      const a = actual.map((r) => r.join('\t')).join('\n');
      const x = expectedRows.map((r) => r.join('\t')).join('\n');
      // in loops the first iteration's answer is written; expectations using ${var} are kept
      if (opt.write && !rewrites.has(rec) && !rec.expected.some((l) => l.includes('${'))) rewrites.set(rec, res.rows);
      if (a !== x && !(opt.write && rewrites.get(rec) === res.rows)) {
        const show = (s) => (s.length > 2000 ? s.slice(0, 2000) + '\n   ...' : s);
        problems.push(`${where}: result mismatch\n${sql}\n   expected:\n${show(x || '(no rows)')}\n   DuckDB:\n${show(a || '(no rows)')}`);
      }
    }
  }

  try {
    await runList(records, {});
  } finally {
    con.closeSync?.();
  }
  const ms = Date.now() - t0;

  if (opt.write && rewrites.size > 0) {
    const recs = [...rewrites.entries()].sort((p, q) => q[0].resultStart - p[0].resultStart);
    const out = [...lines];
    for (const [rec, rows] of recs) {
      let rowsToWrite = rows;
      if (rec.sort === 'rowsort') rowsToWrite = sortRows(rows);
      const newLines = rowsToWrite.map((r) => r.join('\t'));
      if (rec.hasDashes) {
        out.splice(rec.resultStart, rec.resultEnd - rec.resultStart, ...newLines);
      } else {
        // no ---- yet: the SQL ends at resultStart; insert the separator and rows
        out.splice(rec.resultStart, 0, '----', ...newLines);
      }
    }
    fs.writeFileSync(file, out.join('\n'));
  }

  if (problems.length) {
    console.log(`${file}: ${problems.length} problem(s) in ${count} records (${ms} ms)`);
    for (const p of problems) console.log(' - ' + p);
  } else {
    console.log(`${file}: ok, ${count} records (${ms} ms)`);
  }
  return { ok: problems.length === 0 };
}

let allOk = true;
for (const f of files) {
  try {
    const r = await runFile(f);
    if (!r.ok) allOk = false;
  } catch (e) {
    console.log(`${f}: ${e.message}`);
    allOk = false;
  }
}
process.exit(allOk ? 0 : 1);
