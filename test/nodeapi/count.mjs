// Usage: node count.mjs [--client 1.4|1.5] CASE.duckdb [SQL]
//        node count.mjs [--client 1.4|1.5] --version
// Opens the case read-only, as `duckdb -readonly` would, with the chosen
// DuckDB release's Node client (default 1.5), and prints the first column of
// the first row of SQL (default: the number of flow records). --version prints
// the client's DuckDB library version instead (e.g. v1.4.4), so that a test
// can tell which engine read the file.
const clients = {
  '1.5': '@duckdb/node-api',
  '1.4': 'duckdb-node-api-1.4', // an npm alias of @duckdb/node-api 1.4.x (package.json)
};

let args = process.argv.slice(2);
let client = '1.5';
if (args[0] === '--client') {
  client = args[1];
  args = args.slice(2);
}
if (!(client in clients)) {
  console.error(`unknown client ${client}: want one of ${Object.keys(clients).join(', ')}`);
  process.exit(2);
}
const { DuckDBInstance, version } = await import(clients[client]);
if (args[0] === '--version') {
  console.log(version());
  process.exit(0);
}
const [path, sql = 'SELECT count(*) FROM flows'] = args;
if (!path) {
  console.error('usage: node count.mjs [--client 1.4|1.5] CASE.duckdb [SQL]');
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
