// Plays the CloudQuery CLI's `cloudquery sync` between a source plugin and a destination plugin, on CloudQuery's
// own generated protocol client (@cloudquery/plugin-pb-javascript): discovery, Init of both with the sync's
// invocation id, the source's Sync stream forwarded into one destination Write stream with the CLI's transformer
// step (adds _cq_source_name and _cq_sync_time; append mode strips primary keys; delete-records pass as they are), one delete-stale per migrated
// table in overwrite-delete-stale mode, then Close. The transformer is the only part written here.
//
//   node cli-sync.mjs '{"source": "127.0.0.1:P", "source_name": "s", "source_spec": {...},
//                       "destination": "127.0.0.1:Q", "destination_spec": {...}, "write_mode": "overwrite-delete-stale",
//                       "migrate_force": false, "big_insert_mib": 0, "big_table": "x"}'
//
// Prints "write ok" and exits 0, or "write failed: CODE: details" and exits 1.
import { randomUUID } from 'node:crypto';
import grpc from '@grpc/grpc-js';
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, TimestampMicrosecond, TimeUnit, Utf8, vectorFromArray } from '@apache-arrow/esnext-esm';
import { discovery1, pluginV3 } from '@cloudquery/plugin-pb-javascript';
import timestampModule from '@cloudquery/plugin-pb-javascript/dist/google/protobuf/timestamp.js';

const { google } = timestampModule;

const options = JSON.parse(process.argv[2]);
const v3 = pluginV3.cloudquery.plugin.v3;
const limits = { 'grpc.max_receive_message_length': 200 * 1024 * 1024, 'grpc.max_send_message_length': 200 * 1024 * 1024 };
const call = (client, method, request) => new Promise((resolve, reject) => client[method](request, (error, response) => (error ? reject(error) : resolve(response))));

const invocationId = randomUUID();
const syncTime = new Date(Math.floor(Date.now()));
const source = new v3.PluginClient(options.source, grpc.credentials.createInsecure(), limits);
const destination = new v3.PluginClient(options.destination, grpc.credentials.createInsecure(), limits);

const versions = await call(new discovery1.cloudquery.discovery.v1.DiscoveryClient(options.destination, grpc.credentials.createInsecure()), 'GetVersions', new discovery1.cloudquery.discovery.v1.GetVersions.Request());
if (!versions.versions.includes(3)) {
  throw new Error(`destination speaks ${versions.versions}, not 3`);
}

await call(source, 'Init', new v3.Init.Request({ spec: Buffer.from(JSON.stringify(options.source_spec)), invocation_id: invocationId }));
await call(destination, 'Init', new v3.Init.Request({ spec: Buffer.from(JSON.stringify(options.destination_spec ?? {})), invocation_id: invocationId }));

// The CLI's transformer: its two columns first, write mode applied to the schema.
const appendMode = options.write_mode === 'append';
const withCqColumns = (schema) => {
  const fields = schema.fields.map((field) => {
    if (!appendMode) {
      return field;
    }
    const metadata = new Map(field.metadata);
    metadata.delete('cq:extension:primary_key');
    metadata.delete('cq:extension:unique');
    return new Field(field.name, field.type, field.nullable, metadata);
  });
  return new Schema([
    new Field('_cq_source_name', new Utf8(), true),
    new Field('_cq_sync_time', new TimestampMicrosecond('UTC'), true),
    ...fields,
  ], schema.metadata);
};
const transformSchema = (bytes) => tableToIPC(new Table(withCqColumns(tableFromIPC(bytes).schema)), 'stream');
const transformRecord = (bytes) => {
  const table = tableFromIPC(bytes);
  const schema = withCqColumns(table.schema);
  const batches = table.batches.map((batch) => {
    const length = batch.numRows;
    const children = [
      vectorFromArray(Array(length).fill(options.source_name), new Utf8()).data[0],
      vectorFromArray(Array(length).fill(syncTime), new TimestampMicrosecond('UTC')).data[0],
      ...batch.data.children,
    ];
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
  });
  return tableToIPC(new Table(schema, batches), 'stream');
};

let failed = null;
const write = destination.Write((error) => {
  failed = error;
  finish();
});
let finish;
const finished = new Promise((resolve) => { finish = resolve; });
const send = (request) => new Promise((resolve) => (write.write(request) ? resolve() : write.once('drain', resolve)));

const migrated = [];
const sync = source.Sync(new v3.Sync.Request({ tables: ['*'], deterministic_cq_id: true }));
for await (const message of sync) {
  if (message.has_migrate_table) {
    migrated.push(tableFromIPC(message.migrate_table.table).schema.metadata.get('cq:table_name'));
    await send(new v3.Write.Request({ migrate_table: new v3.Write.MessageMigrateTable({ table: transformSchema(message.migrate_table.table), migrate_force: options.migrate_force ?? false }) }));
  } else if (message.has_insert) {
    await send(new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: transformRecord(message.insert.record) }) }));
  } else if (message.has_delete_record) {
    const { table_name, where_clause, table_relations } = message.delete_record;
    await send(new v3.Write.Request({ delete_record: new v3.Write.MessageDeleteRecord({ table_name, where_clause, table_relations }) }));
  }
}

// An insert bigger than 100 MiB, as one large record from a source plugin would be: rows of 1 MiB of text.
if (options.big_insert_mib > 0) {
  const big = new Schema([
    new Field('id', new Int64(), false, new Map([['cq:extension:primary_key', 'true']])),
    new Field('payload', new Utf8(), true),
  ], new Map([['cq:table_name', options.big_table]]));
  const row = 'x'.repeat(1024 * 1024);
  const ids = vectorFromArray(Array.from({ length: options.big_insert_mib }, (_, i) => BigInt(i)), new Int64());
  const payloads = vectorFromArray(Array(options.big_insert_mib).fill(row), new Utf8());
  const batch = new RecordBatch(big, makeData({ type: new Struct(big.fields), length: options.big_insert_mib, nullCount: 0, children: [ids.data[0], payloads.data[0]] }));
  migrated.push(options.big_table);
  await send(new v3.Write.Request({ migrate_table: new v3.Write.MessageMigrateTable({ table: transformSchema(tableToIPC(new Table(big), 'stream')), migrate_force: options.migrate_force ?? false }) }));
  await send(new v3.Write.Request({ insert: new v3.Write.MessageInsert({ record: transformRecord(tableToIPC(new Table(big, [batch]), 'stream')) }) }));
}

if (options.write_mode === 'overwrite-delete-stale') {
  const seconds = Math.floor(syncTime.getTime() / 1000);
  for (const table of migrated) {
    await send(new v3.Write.Request({
      delete: new v3.Write.MessageDeleteStale({
        source_name: options.source_name,
        sync_time: new google.protobuf.Timestamp({ seconds, nanos: (syncTime.getTime() % 1000) * 1_000_000 }),
        table_name: table,
      }),
    }));
  }
}

write.end();
await finished;
await call(destination, 'Close', new v3.Close.Request());
if (failed) {
  console.log(`write failed: ${grpc.status[failed.code]}: ${failed.details}`);
  process.exit(1);
}
console.log('write ok');
process.exit(0);
