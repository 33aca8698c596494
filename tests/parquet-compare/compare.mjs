// Reads Parquet files with three independent readers and prints, per file and reader, every
// decoded column plus the statistics each reader reports, as JSON on stdout.
//   node compare.mjs file1.parquet [file2.parquet ...]
// Values are written canonically so nothing is lost on the way to C#: null as null, 64-bit
// integers (BigInt) as decimal strings, NaN/Infinity/-Infinity/-0 as those strings, other numbers,
// booleans and strings as they are.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readParquet } from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';

function canonical(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    if (Object.is(v, -0)) return '-0';
    return v;
  }
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  return { unexpected: String(v), type: typeof v };
}

// Node's zlib stands in for hyparquet's optional codec plugins.
const compressors = { GZIP: input => new Uint8Array(gunzipSync(input)) };

async function readHyparquet(bytes) {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const metadata = parquetMetadata(file);
  const names = metadata.schema.slice(1).map(e => e.name);
  const rows = await parquetReadObjects({ file, compressors });
  const columns = Object.fromEntries(names.map(n => [n, rows.map(r => canonical(r[n]))]));
  const rowGroups = metadata.row_groups.map(g => ({
    rows: Number(g.num_rows),
    columns: g.columns.map(c => ({
      column: c.meta_data.path_in_schema.join('.'),
      codec: c.meta_data.codec,
      encodings: c.meta_data.encodings,
      null_count: canonical(c.meta_data.statistics?.null_count),
      min: canonical(c.meta_data.statistics?.min_value),
      max: canonical(c.meta_data.statistics?.max_value),
    })),
  }));
  const metadataPairs = Object.fromEntries((metadata.key_value_metadata ?? []).map(kv => [kv.key, kv.value]));
  return { rows: Number(metadata.num_rows), columns, rowGroups, metadata: metadataPairs, createdBy: metadata.created_by };
}

function readParquetWasm(bytes) {
  const wasmTable = readParquet(bytes);
  const table = tableFromIPC(wasmTable.intoIPCStream());
  const columns = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    const values = [];
    for (let i = 0; i < table.numRows; i++) values.push(canonical(vector.get(i)));
    columns[field.name] = values;
  }
  const types = Object.fromEntries(table.schema.fields.map(f => [f.name, `${f.type}${f.nullable ? '?' : ''}`]));
  return { rows: table.numRows, columns, types };
}

async function readDuckdb(connection, path) {
  const literal = `'${path.replaceAll("'", "''")}'`;
  const data = await connection.runAndReadAll(`SELECT * FROM read_parquet(${literal}, file_row_number = true) ORDER BY file_row_number`);
  const names = data.columnNames();
  const raw = data.getColumnsJS();
  const columns = {};
  names.forEach((n, i) => { if (n !== 'file_row_number') columns[n] = (raw[i] ?? []).map(canonical); });
  const types = Object.fromEntries(names.map((n, i) => [n, data.columnType(i).toString()]).filter(([n]) => n !== 'file_row_number'));
  const meta = await connection.runAndReadAll(
    `SELECT row_group_id, path_in_schema, type, num_values, compression, encodings, stats_min_value, stats_max_value, stats_null_count
     FROM parquet_metadata(${literal}) ORDER BY row_group_id, column_id`);
  const statistics = meta.getRowObjectsJS().map(r => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, canonical(v)])));
  return { rows: columns[names[0]]?.length ?? 0, columns, types, statistics };
}

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const out = {};
for (const path of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(path));
  const result = {};
  for (const [name, read] of [
    ['hyparquet', () => readHyparquet(bytes)],
    ['parquet-wasm', () => readParquetWasm(bytes)],
    ['duckdb', () => readDuckdb(connection, path)],
  ]) {
    try {
      result[name] = await read();
    } catch (e) {
      result[name] = { error: String(e?.stack ?? e) };
    }
  }
  out[path] = result;
}
connection.closeSync();
instance.closeSync();
process.stdout.write(JSON.stringify(out));
