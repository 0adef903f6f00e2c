#!/usr/bin/env node
// A small CloudQuery source plugin for the tests, served by CloudQuery's own JavaScript SDK
// (@cloudquery/plugin-sdk-javascript, installed into .tools/cloudquery by infra/services.sh).
//
//   node test-source.mjs serve --address 127.0.0.1:PORT --no-sentry
//
// Spec (JSON from Init): prefix (table names), rows (parent rows, ids 0..rows-1), children (per parent),
// error (a table error to report on the stream), crash_at (exit the process while resolving the children of that
// parent id), hang_at (stop sending there, but stay alive), delete_id (after the rows, a delete-record of the parent
// with that id, cascading to its parts, as a source that deletes by key sends it).
import { Bool, Float32, Float64, Int64, List, Field, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, TimeUnit, Timestamp, Uint64, Utf8, vectorFromArray } from '@apache-arrow/esnext-esm';
import { pluginV3 } from '@cloudquery/plugin-pb-javascript';
import { newPlugin } from '@cloudquery/plugin-sdk-javascript/plugin/plugin';
import { createServeCommand } from '@cloudquery/plugin-sdk-javascript/plugin/serve';
import { sync } from '@cloudquery/plugin-sdk-javascript/scheduler';
import { createColumn } from '@cloudquery/plugin-sdk-javascript/schema/column';
import { pathResolver } from '@cloudquery/plugin-sdk-javascript/schema/resolvers';
import { createTable, filterTables } from '@cloudquery/plugin-sdk-javascript/schema/table';
import { JSONType } from '@cloudquery/plugin-sdk-javascript/types/json';
import { UUIDType } from '@cloudquery/plugin-sdk-javascript/types/uuid';
// Not exported by the package in this version: imported by path, as CloudQuery's own memdb plugin does.
const { addCQIDsColumns } = await import(new URL('./node_modules/@cloudquery/plugin-sdk-javascript/dist/schema/meta.js', import.meta.url));

const column = (name, type, extra = {}) => createColumn({ name, type, resolver: pathResolver(name), ...extra });

const item = (id) => ({
  id,
  flag: id % 2 === 0,
  big: id * 10_000_000_000 + 3,
  // The SDK's uint64 takes JavaScript numbers only: the largest safe integer, less the id.
  ubig: Number.MAX_SAFE_INTEGER - id,
  single: id + 0.5,
  double: id / 3,
  name: `item-${id}`,
  created_ms: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, id)),
  created_us: new Date(Date.UTC(2024, 5, 30, 12, 0, id)),
  created_ns: new Date(Date.UTC(2024, 11, 31, 23, 59, id)),
  doc: { id, tags: ['a', 'b'], nested: { ok: true } },
  ref: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  words: [`w${id}`, 'two'],
  numbers: [id, id + 1, id + 2],
});

const tables = (spec) => {
  const children = createTable({
    name: `${spec.prefix}_parts`,
    resolver: async (client, parent, stream) => {
      // The SDK sends a table's rows once its resolver returns, and resolves children after sending their parent:
      // failing here fails after the parents before this one, their children, and this parent were sent.
      const id = Number(parent.getColumnData('id').value);
      if (spec.crash_at === id) {
        // Give what was written time to leave the process, then die as a crashing plugin does.
        setTimeout(() => process.exit(3), 3000);
        await new Promise(() => {});
      }
      if (spec.hang_at === id) {
        await new Promise(() => {});
      }
      for (let seq = 0; seq < spec.children; seq++) {
        stream.write({ item_id: id, seq, label: `part-${id}-${seq}` });
      }
    },
    columns: [
      column('item_id', new Int64(), { primaryKey: true }),
      column('seq', new Int64(), { primaryKey: true }),
      column('label', new Utf8()),
    ],
  });
  const parent = createTable({
    name: `${spec.prefix}_items`,
    // Every type this version of the SDK can send. Its int16, int32, uint16, uint32 and timestamp[s] scalars hold
    // values the Arrow encoder then refuses ("Cannot convert a BigInt value to a number"), so it cannot send them.
    description: 'every type the JavaScript SDK can send',
    resolver: async (client, _, stream) => {
      for (let id = 0; id < spec.rows; id++) {
        stream.write(item(id));
      }
    },
    columns: [
      column('id', new Int64(), { primaryKey: true }),
      column('flag', new Bool()),
      column('big', new Int64()),
      column('ubig', new Uint64()),
      column('single', new Float32()),
      column('double', new Float64()),
      column('name', new Utf8()),
      column('created_ms', new Timestamp(TimeUnit.MILLISECOND)),
      column('created_us', new Timestamp(TimeUnit.MICROSECOND)),
      column('created_ns', new Timestamp(TimeUnit.NANOSECOND)),
      column('doc', new JSONType()),
      column('ref', new UUIDType()),
      column('words', new List(new Field('item', new Utf8(), true))),
      column('numbers', new List(new Field('item', new Int64(), true))),
    ],
    relations: [children],
  });
  return [addCQIDsColumns(parent)];
};

// The protocol's delete-record: where id = delete_id (its value a one-row record, as CloudQuery's SDKs encode a
// predicate), and the parts whose _cq_parent_id is the deleted item's _cq_id.
const deleteRecord = (spec) => {
  const v3 = pluginV3.cloudquery.plugin.v3;
  const schema = new Schema([new Field('id', new Int64(), true)]);
  const ids = vectorFromArray([BigInt(spec.delete_id)], new Int64());
  const record = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [ids.data[0]] }));
  return new v3.Sync.Response({
    delete_record: new v3.Sync.MessageDeleteRecord({
      table_name: `${spec.prefix}_items`,
      where_clause: [new v3.PredicatesGroup({
        grouping_type: v3.PredicatesGroup.GroupingType.AND,
        predicates: [new v3.Predicate({ operator: v3.Predicate.Operator.EQ, column: 'id', record: tableToIPC(new Table(schema, [record]), 'stream') })],
      })],
      table_relations: [new v3.TableRelation({ table_name: `${spec.prefix}_parts`, parent_table: `${spec.prefix}_items` })],
    }),
  });
};

const newClient = async (logger, specText, { noConnection }) => {
  const spec = { prefix: 'cqtest', rows: 3, children: 2, ...(noConnection ? {} : JSON.parse(specText)) };
  const all = tables(spec);
  return {
    close: async () => {},
    tables: async ({ tables: include, skipTables, skipDependentTables }) => filterTables(all, include, skipTables, skipDependentTables),
    sync: async ({ stream, tables: include, skipTables, skipDependentTables, deterministicCQId }) => {
      if (spec.error) {
        stream.write(new pluginV3.cloudquery.plugin.v3.Sync.Response({
          error: new pluginV3.cloudquery.plugin.v3.Sync.MessageError({ table_name: `${spec.prefix}_items`, error: spec.error }),
        }));
      }
      // The SDK's sync ends the stream after the last row: the delete-record goes just before that end.
      const deleting = !Number.isInteger(spec.delete_id) ? stream : new Proxy(stream, {
        get: (target, property) => property === 'end'
          ? (...args) => { target.write(deleteRecord(spec)); return target.end(...args); }
          : (typeof target[property] === 'function' ? target[property].bind(target) : target[property]),
      });
      await sync({
        logger: plugin.getLogger(),
        client: { id: () => 'workers-test' },
        stream: deleting,
        tables: filterTables(all, include, skipTables, skipDependentTables),
        deterministicCQId,
        concurrency: 1,
      });
    },
    read: () => {},
    write: async () => {},
  };
};

const plugin = newPlugin('workers-test-source', '1.2.3', newClient, { team: 'workers', kind: 'source' });
createServeCommand(plugin).parse();
