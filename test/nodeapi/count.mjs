// Usage: node count.mjs CASE.duckdb [SQL]
// Opens the case read-only, as `duckdb -readonly` would, and prints the first
// column of the first row of SQL (default: the number of flow records).
import { DuckDBInstance } from '@duckdb/node-api';

const [path, sql = 'SELECT count(*) FROM flows'] = process.argv.slice(2);
if (!path) {
  console.error('usage: node count.mjs CASE.duckdb [SQL]');
  process.exit(2);
}
const instance = await DuckDBInstance.create(path, {
  access_mode: 'READ_ONLY',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const conn = await instance.connect();
const reader = await conn.runAndReadAll(sql);
console.log(String(reader.getRows()[0][0]));
