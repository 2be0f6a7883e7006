import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { entityItems, DynamoFileRepository, shardOf } from '../../lambdas/adapters/dynamo-file-repository';
import { listIndexes } from '../../lambdas/adapters/table-layout';
import { FileListing } from '../../lambdas/core/file-listing';
import type { ListQuery } from '../../lambdas/core/file-listing';
import { orgPrincipal, orgWideAcl } from '../../lambdas/core/access';
import type { FileRecord } from '../../lambdas/core/model';
import type { BenchContext } from './context';
import { apiEvent, invoke } from './events';
import { percentile, round } from './stats';

/** What one kind of listing costs: handler latency, and the read capacity of one page. */
export interface ListingSample {
  latency_ms: number[];
  /** Read capacity units one page consumed (ReturnConsumedCapacity), across all its reads. */
  page_rcu: number;
  /** Queries (and batch gets) one page made. */
  page_reads: number;
  results: number;
}

export interface ListingSamples {
  files_per_org: number;
  list: ListingSample;
  search: ListingSample;
  relation: ListingSample;
  /** `shared=true`: another org's files shared with the org, one in `sharedEvery`, read through the grant index. */
  shared: ListingSample;
  /** The same first page, in an org of 100 files: a page must not cost more in a big org. */
  list_small_org: ListingSample;
  /** One Query of one page of the list index: what a first page should cost about. */
  one_query_rcu: number;
}

const pageSize = 25;
/** One file in a hundred matches the search. */
const searchEvery = 100;
/** Files per related entity: a relation lookup finds this many. */
const filesPerRelation = 100;
/** One of this many of the neighbour org's files is shared with the benchmark's org. */
const sharedEvery = 20;

/**
 * Seeds the org of the benchmark and one other org of the same size with file entities
 * (written as the service writes them, relations included), then times the first page of a
 * plain listing, a `q` search that matches 1% of the files and a relation lookup.
 */
export async function measureListing(
  context: BenchContext,
  options: { filesPerOrg: number; iterations: number; warmup: number },
): Promise<ListingSamples> {
  const org = context.claims.org_id;
  const small = `${org}-small`;
  await seed(context, org, options.filesPerOrg);
  await seed(context, `${org}-neighbour`, options.filesPerOrg, org);
  await seed(context, small, 100);

  const list = (query: Record<string, string>, claims = context.claims) =>
    apiEvent({ method: 'GET', route: '/v2/files', query, claims });
  const cases = {
    list: { query: {}, claims: context.claims },
    search: { query: { q: 'needle' }, claims: context.claims },
    relation: { query: { relation: 'order-0' }, claims: context.claims },
    shared: { query: { shared: 'true' }, claims: context.claims },
    list_small_org: { query: {}, claims: { ...context.claims, org_id: small } },
  };
  const capacity = instrumentedListing(context);
  const samples = {} as Omit<ListingSamples, 'files_per_org' | 'one_query_rcu'>;
  for (const [name, { query, claims }] of Object.entries(cases) as Array<[keyof typeof cases, (typeof cases)['list']]>) {
    const latency: number[] = [];
    let results = 0;
    for (let round = 0; round < options.warmup + options.iterations; round += 1) {
      const started = performance.now();
      const page = await invoke<{ results: unknown[] }>(context.handlers['list-files'], list(query, claims), [200]);
      if (round >= options.warmup) latency.push(performance.now() - started);
      results = page.results.length;
    }
    const cost = await capacity.firstPage(claims.org_id, { limit: pageSize, sort: '-created_at', ...query });
    samples[name] = { latency_ms: latency, results, ...cost };
  }
  return { files_per_org: options.filesPerOrg, ...samples, one_query_rcu: await capacity.oneQuery(org) };
}

/** A listing over a client that asks DynamoDB for the capacity of every read and adds it up. */
function instrumentedListing(context: BenchContext) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: context.stack.region, endpoint: context.stack.dynamoDbEndpoint, credentials: context.stack.credentials }),
  );
  let rcu = 0;
  let reads = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const output = await next(args);
      const consumed = (output.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) rcu += entry.CapacityUnits ?? 0;
      reads += 1;
      return output;
    },
    { step: 'initialize', name: 'consumedCapacity' },
  );
  const repository = new DynamoFileRepository(client, context.stack.table);
  const listing = new FileListing(repository);
  return {
    async firstPage(org: string, query: ListQuery & Record<string, unknown>) {
      rcu = 0;
      reads = 0;
      await listing.list({ org, userId: 'bench' }, query);
      return { page_rcu: round(rcu, 2), page_reads: reads };
    },
    async oneQuery(org: string) {
      rcu = 0;
      await client.send(
        new QueryCommand({
          TableName: context.stack.table,
          IndexName: listIndexes.created.name,
          KeyConditionExpression: 'list_pk = :pk',
          ExpressionAttributeValues: { ':pk': `${encodeURIComponent(org)}#${shardOf('00')}` },
          ScanIndexForward: false,
          Limit: pageSize,
        }),
      );
      return round(rcu, 2);
    },
  };
}

/**
 * `count` entities of one org, shaped and keyed as saves write them (one in `sharedEvery`
 * also granted to `shareWith`'s org); BatchWrite, 25 at a time.
 */
async function seed(context: BenchContext, org: string, count: number, shareWith?: string): Promise<void> {
  const start = Date.UTC(2025, 0, 1);
  const items = Array.from({ length: count }, (_, index) => {
    const id = randomUUID();
    const created = new Date(start + index * 1000).toISOString();
    const filename = index % searchEvery === 7 ? `needle-${index}.pdf` : `report-${index}.pdf`;
    const record: FileRecord = {
      id, org, title: filename, filename, type: 'document', mime_type: 'application/pdf', size_bytes: 1000 + index,
      access_control: 'private', tags: index % 2 ? ['even'] : [], relations: [{ entity_id: `order-${index % (count / filesPerRelation)}` }],
      created_at: created, created_by: 'bench-user', updated_at: created, updated_by: 'bench-user', latest_version: 1, revision: 1,
      latest: { filename, mime_type: 'application/pdf', size_bytes: 1000 + index },
      s3ref: { bucket: context.stack.bucket, key: `files/${org}/${id}/${id}/${filename}` }, status: 'active',
      ...(shareWith && index % sharedEvery === 0
        ? { owners: [{ org_id: org, user_id: 'bench-user' }], acl: { ...orgWideAcl(org), view: [orgPrincipal(org), orgPrincipal(shareWith)] } }
        : {}),
    };
    return entityItems(record);
  }).flat();
  const batches: Array<typeof items> = [];
  for (let offset = 0; offset < items.length; offset += 25) batches.push(items.slice(offset, offset + 25));
  const workers = Array.from({ length: 8 }, async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const result = await context.dynamo.send(new BatchWriteCommand({ RequestItems: { [context.stack.table]: requests } }));
        requests = (result.UnprocessedItems?.[context.stack.table] ?? []) as typeof requests;
      }
    }
  });
  await Promise.all(workers);
}

/** The keys bench/results.json gains, and their p50s. */
export function listingResults(samples: ListingSamples) {
  const p50 = (sample: ListingSample) => round(percentile(sample.latency_ms, 50), 2);
  const capacity = (sample: ListingSample) => ({ page_rcu: sample.page_rcu, page_reads: sample.page_reads, results: sample.results });
  return {
    list_p50_ms: p50(samples.list),
    search_p50_ms: p50(samples.search),
    relation_p50_ms: p50(samples.relation),
    shared_list_p50_ms: p50(samples.shared),
    listing: {
      files_per_org: samples.files_per_org,
      orgs: 2,
      list: capacity(samples.list),
      search: capacity(samples.search),
      relation: capacity(samples.relation),
      shared: capacity(samples.shared),
      list_small_org: { p50_ms: p50(samples.list_small_org), ...capacity(samples.list_small_org) },
      one_query_rcu: samples.one_query_rcu,
    },
  };
}
